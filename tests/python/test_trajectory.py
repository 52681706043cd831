"""trajectory (decision_transformer: DecisionTransformerModel is the whole policy) on a tiny offline
Decision Transformer (tests/fixtures/fixtures_ocr_series_keypoints.py), against the model called
directly as its docs do (no pipeline exists): states, actions, returns-to-go and timesteps as
[1, T, ...] tensors, `action_preds[0, -1]` the next action. The skillset is generated with the
binary (conftest.generated_skillset), over the runtime under test."""
import os

import numpy as np
import pytest
import torch
import transformers


def trajectory(seed, steps):
    rng = np.random.RandomState(seed)
    actions = rng.randn(steps, 2).round(3)
    actions[-1] = 0.0
    return {"states": rng.randn(steps, 3).round(3).tolist(), "actions": actions.tolist(), "returns_to_go": (rng.rand(steps) * 10).round(3).tolist()}


@pytest.fixture(scope="module")
def policy(cpu_handler):
    skill, handler, _ = cpu_handler("edbeeching/decision-transformer-gym-hopper-medium", "decision_transformer", "decision-transformer")
    return skill, handler


def test_next_action_matches_the_model_call(fixtures, policy):
    skill, handler = policy
    assert skill.FAMILY == "trajectory" and handler.task == "action_prediction"
    inputs = [trajectory(1, 4), trajectory(2, 6)]
    result = handler(inputs)
    assert result["implementation_type"] == "REAL", result
    model = transformers.DecisionTransformerModel.from_pretrained(os.path.join(fixtures, "decision-transformer")).eval()
    for item, action, action_preds, state_preds in zip(inputs, result["action"], result["action_preds"], result["state_preds"]):
        steps = len(item["states"])
        with torch.no_grad():
            want = model(
                states=torch.tensor([item["states"]], dtype=torch.float32),
                actions=torch.tensor([item["actions"]], dtype=torch.float32),
                returns_to_go=torch.tensor(item["returns_to_go"], dtype=torch.float32).reshape(1, steps, 1),
                timesteps=torch.arange(steps).reshape(1, steps),
            )
        assert np.allclose(action, want.action_preds[0, -1].numpy(), atol=1e-5)
        assert np.allclose(action_preds, want.action_preds[0].numpy(), atol=1e-5)
        assert np.allclose(state_preds, want.state_preds[0].numpy(), atol=1e-5)
    # Another trajectory, or another return to go, gives another action.
    assert not np.allclose(result["action"][0], result["action"][1], atol=1e-4)
    hoped = dict(inputs[0], returns_to_go=[r * 3 for r in inputs[0]["returns_to_go"]])
    assert not np.allclose(handler(hoped)["action"][0], result["action"][0], atol=1e-4)
    assert skill.__test__("decision_transformer", handler, "cpu")["ok"]


@pytest.mark.parametrize("bad", [None, [], 5, {"states": [[1.0, 2.0, 3.0]]}, {"states": [[1.0, 2.0, 3.0]], "actions": [[0.0, 0.0]], "returns_to_go": [1.0, 2.0]},
                                 {"states": [[1.0, "x", 3.0]], "actions": [[0.0, 0.0]], "returns_to_go": [1.0]}, {"states": [[1.0, 2.0, 3.0]], "actions": [[0.0, 0.0]], "returns_to_go": [1.0], "k": 1},
                                 {"states": [[1.0, 2.0, 3.0]], "actions": [[0.0, 0.0]], "returns_to_go": [1.0], "timesteps": [-1]}])
def test_trajectory_bad_input_is_an_error_dict(policy, bad):
    _, handler = policy
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result
