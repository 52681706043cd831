# Inserted by `skillgen vendor --register` at the top of the skillset package's __init__.py block.
# Loads a skillset whose file name is no module name (hf_xlm-roberta.py, hf_kosmos-2.5.py):
# import_module would read "-" or "." wrongly, so the file is loaded from its path as a submodule.
def _skillgen_load(file_name, class_name):
    import importlib.util
    import os
    import sys

    name = __name__ + "." + file_name[:-3]
    if name not in sys.modules:
        path = os.path.join(os.path.dirname(__file__), file_name)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        module.__package__ = __name__
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return getattr(sys.modules[name], class_name)
