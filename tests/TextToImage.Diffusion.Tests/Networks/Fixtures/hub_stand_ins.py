"""Stand-ins for huggingface_hub and safetensors, for make_diffusers_tiny_if.py --hub-stand-ins.

Debian 12 packages PyTorch (python3-torch) but neither of these, and machines without PyPI cannot pip
install them. diffusers imports both when it loads; building UNet2DConditionModel from a config and
running it forward uses neither, so any import of huggingface_hub.* or safetensors.* gets a module
whose attributes are inert: classes (errors, cards) are empty Exception subclasses, CONSTANTS are
strings or False, everything else a callable that returns what it decorates."""
import importlib.abc, importlib.machinery, sys, types

class _Anything(Exception):
    def __init__(self, *a, **k): pass
    def __call__(self, *a, **k):
        # used as a decorator: give back what it decorates
        if len(a) == 1 and callable(a[0]) and not k: return a[0]
        return _Anything()
    def __getattr__(self, name): return _Anything()
    def __bool__(self): return False
    def __iter__(self): return iter(())
    # A path-like string outside the working folder: diffusers writes a version cache file under its hub cache.
    def __str__(self): return "/tmp/stub"
    def __fspath__(self): return "/tmp/stub"
    def __mro_entries__(self, bases): return (object,)

def _make_class(name):
    return type(name, (Exception,), {"__init__": lambda self, *a, **k: None})

class _StubModule(types.ModuleType):
    __path__ = []
    def __getattr__(self, name):
        if name.startswith("__"): raise AttributeError(name)
        if name[:1].isupper() and not name.isupper():   # classes (errors, ModelCard, ...)
            value = _make_class(name)
        elif name.isupper():                            # constants (paths among them: outside the working folder)
            value = "/tmp/stub" if not name.endswith(("OFFLINE", "DISABLE_TELEMETRY")) else False
        else:
            value = _Anything()
        setattr(self, name, value)
        return value

class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    roots = ("huggingface_hub", "safetensors")
    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in self.roots:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None
    def create_module(self, spec):
        module = _StubModule(spec.name)
        module.__version__ = "0.25.0"
        return module
    def exec_module(self, module): pass


def install():
    sys.meta_path.insert(0, _Finder())
