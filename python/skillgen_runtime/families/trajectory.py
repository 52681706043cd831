"""The trajectory family: offline reinforcement-learning policies that read a trajectory of states,
actions and returns-to-go and predict the next action (Decision Transformer)."""

import math

from ..base import Skillset
from ..errors import SkillInputError

# The trajectory fields the model's forward takes, per time step (rewards: the forward takes them
# and ignores them).
FIELDS = ("states", "actions", "returns_to_go", "timesteps")


class Trajectory(Skillset):
    """Action prediction skillset: a trajectory → the model's predicted actions.

    Input: {"states": [[...state_dim] per step], "actions": [[...act_dim] per step] (the last step's
    action is what is predicted: zeros there, as the model's docs do), "returns_to_go": [r per step],
    "timesteps": [t per step] (default 0..T-1)} or a list of such dicts, each run alone (lengths may
    differ). Result: {"action": [n, act_dim] the last step's predicted action, "action_preds",
    "state_preds", "return_preds" per trajectory ([T][...]), "count": n}: the model's own outputs
    (its forward, every step attended), equal to calling DecisionTransformerModel directly."""

    FAMILY = "trajectory"

    def _load_processor(self, model, task, config):
        # The model takes raw vectors: no processor. Its sizes shape the sample input.
        self._sample_sizes = (int(config.state_dim), int(config.act_dim))
        return None

    def _sample_input(self, task):
        state_dim, act_dim = getattr(self, "_sample_sizes", (2, 1))
        states = [[0.1 * (i + j) for j in range(state_dim)] for i in range(2)]
        return {"states": states, "actions": [[0.5] * act_dim, [0.0] * act_dim], "returns_to_go": [1.0, 0.5]}

    def _matrix(self, item, key, steps):
        value = item[key]
        if hasattr(value, "tolist"):
            value = value.tolist()
        if not isinstance(value, (list, tuple)) or not value:
            raise SkillInputError(key + " must be a non-empty list with one entry per step")
        rows = [row if isinstance(row, (list, tuple)) else [row] for row in value]
        width = len(rows[0])
        for row in rows:
            if len(row) != width or not row:
                raise SkillInputError(key + " rows must all have the same, non-zero length")
            for v in row:
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                    raise SkillInputError(key + " holds " + repr(v) + ", not a finite number")
        if steps is not None and len(rows) != steps:
            raise SkillInputError(key + " has " + str(len(rows)) + " steps, states " + str(steps))
        return [[float(v) for v in row] for row in rows]

    def _one(self, item):
        if not isinstance(item, dict):
            raise SkillInputError("expected {'states': ..., 'actions': ..., 'returns_to_go': ...}; got " + type(item).__name__)
        unknown = sorted(k for k in item if k not in FIELDS + ("rewards",))
        missing = [k for k in FIELDS[:3] if k not in item]
        if unknown or missing:
            raise SkillInputError("a trajectory has the keys " + repr(FIELDS) + " (timesteps optional); unknown " + repr(unknown) + ", missing " + repr(missing))
        states = self._matrix(item, "states", None)
        steps = len(states)
        trajectory = {"states": states, "actions": self._matrix(item, "actions", steps), "returns_to_go": self._matrix(item, "returns_to_go", steps)}
        if len(trajectory["returns_to_go"][0]) != 1:
            raise SkillInputError("returns_to_go has one number per step")
        timesteps = item.get("timesteps", list(range(steps)))
        if not isinstance(timesteps, (list, tuple)) or len(timesteps) != steps or any(isinstance(t, bool) or not isinstance(t, int) or t < 0 for t in timesteps):
            raise SkillInputError("timesteps must be one non-negative int per step")
        trajectory["timesteps"] = list(timesteps)
        return [trajectory], True, {}

    def _split_input(self, task, x):
        if isinstance(x, (list, tuple)):
            return self._dict_items(x, self._one, "'states', 'actions' and 'returns_to_go'")
        return self._one(x)

    def _preprocess(self, task, processor, batch, options, device, model):
        torch = self.torch
        dtype = next(model.parameters()).dtype
        encoded = []
        for trajectory in batch:
            tensors = {key: torch.tensor([trajectory[key]], dtype=dtype, device=device) for key in ("states", "actions", "returns_to_go")}
            tensors["timesteps"] = torch.tensor([trajectory["timesteps"]], dtype=torch.long, device=device)
            encoded.append(tensors)
        return encoded

    def _forward(self, task, model, inputs, options):
        return [model(**tensors) for tensors in inputs]

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        return {
            "action": [output.action_preds[0, -1].float().cpu().tolist() for output in outputs],
            "action_preds": [output.action_preds[0].float().cpu().tolist() for output in outputs],
            "state_preds": [output.state_preds[0].float().cpu().tolist() for output in outputs],
            "return_preds": [output.return_preds[0].float().cpu().tolist() for output in outputs],
            "count": len(outputs),
        }

    def _mock_result(self, task, batch, single, options):
        # The last step's given action, for host tests without a model; labelled MOCK by the caller.
        return {"action": [trajectory["actions"][-1] for trajectory in batch], "count": len(batch)}
