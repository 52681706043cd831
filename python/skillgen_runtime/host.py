"""The host's optional helper modules (cuda_utils, apple_coreml_utils, qualcomm_snpe_utils), found
relative to the skillset's package or by their absolute names, and the cache directory for
converted models."""

import importlib
import os
import sys


def skillset_package(cls):
    """The package of the module that defined the generated class: the host's skillset package when
    it was imported as a submodule, the worker's package when the worker exec'd it, else None."""
    module = sys.modules.get(getattr(cls, "__module__", None) or "")
    return getattr(module, "__package__", None) or None


def host_module(name, level, package=None):
    """worker/<name> (level "worker") or worker/skillset/<name> (level "skillset"): relative to the
    skillset's package, then ipfs_accelerate_py.worker..., then worker...; None when none imports."""
    sub = name if level == "worker" else "skillset." + name
    candidates = []
    if package:
        candidates.append(("." + name if level == "skillset" else ".." + name, package))
    candidates += [("ipfs_accelerate_py.worker." + sub, None), ("worker." + sub, None)]
    for target, anchor in candidates:
        loaded = sys.modules.get(target) if anchor is None else None
        if loaded is not None:
            return loaded
        try:
            return importlib.import_module(target, anchor)
        except Exception:
            pass
    return None


class Host:
    """Mixin: lookups of the host's helper modules and the conversion cache."""

    def _host_module(self, name, level):
        return host_module(name, level, skillset_package(type(self)))

    def _native_utils(self, module_name, factory):
        """(utils, None) from the host's Core ML / SNPE helper when it reports available, else
        (None, why)."""
        module = self._host_module(module_name, "skillset")
        if module is None:
            return None, "no host " + module_name + " module"
        try:
            utils = getattr(module, factory)()
            if utils is None:
                return None, module_name + "." + factory + "() returned None"
            if not utils.is_available():
                return None, module_name + " reports not available"
            return utils, None
        except Exception as e:
            return None, module_name + ": " + type(e).__name__ + ": " + str(e)

    def _cuda_utils(self):
        module = self._host_module("cuda_utils", "worker")
        factory = getattr(module, "cuda_utils", None) if module is not None else None
        if factory is None:
            return None
        try:
            return factory(self.resources, self.metadata)
        except Exception:
            return None

    def _cache_dir(self, kind, model, revision=None):
        """Where converted models go: metadata["cache_dir"], $SKILLGEN_CACHE or ~/.cache/skillgen,
        then <kind>/<model name>-<hash of the model and its revision>; never inside the package
        directory. A conversion of one revision is never reused for another."""
        import hashlib
        import re

        root = self.metadata.get("cache_dir") or os.environ.get("SKILLGEN_CACHE")
        if not root:
            root = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "skillgen")
        text = str(model)
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", text.rstrip("/\\").split("/")[-1])[-60:] or "model"
        key = text if not revision else text + "@" + str(revision)
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
        path = os.path.join(root, kind, safe + "-" + digest)
        os.makedirs(path, exist_ok=True)
        return path
