"""Writes the IF caption-cleaning parity fixture: DeepFloyd IF's own `_clean_caption`, applied twice
as IFPipeline._text_preprocessing(clean_caption=True) does, to varied prompts.

The reference code is not copied here: the function and its `bad_punct_regex` are read from a
diffusers checkout at run time (pipeline_if.py) and run as they are, with bs4's BeautifulSoup
(Debian: python3-bs4). ftfy is not packaged by Debian: its stand-in applies only the Unicode NFC
normalisation that ftfy.fix_text ends with; the prompts below are text that ftfy's repairs
(mis-decoded UTF-8, ligatures, full-width forms, terminal escapes) leave alone.

    /usr/bin/python3 make_if_caption_fixture.py DIFFUSERS_CHECKOUT [COMMIT]

(made from diffusers 58eb52c080: git clone https://github.com/huggingface/diffusers; the commit
is recorded in the fixture when given)
"""
import ast, html, json, os, re, sys, types, unicodedata
import urllib.parse as ul
from bs4 import BeautifulSoup

source_path = os.path.join(sys.argv[1], "src", "diffusers", "pipelines", "deepfloyd_if", "pipeline_if.py")
source = open(source_path, encoding="utf-8").read()
pipeline = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == "IFPipeline")
wanted = [n for n in pipeline.body
          if (isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "bad_punct_regex" for t in n.targets))
          or (isinstance(n, ast.FunctionDef) and n.name == "_clean_caption")]
assert len(wanted) == 2, "pipeline_if.py no longer has IFPipeline.bad_punct_regex and _clean_caption"
ftfy = types.SimpleNamespace(fix_text=lambda text: unicodedata.normalize("NFC", text))
namespace = {"re": re, "html": html, "ul": ul, "BeautifulSoup": BeautifulSoup, "ftfy": ftfy}
cls = type("Cleaner", (), {})
for node in wanted:
    module = ast.Module(body=[node], type_ignores=[])
    local = {}
    exec(compile(module, source_path, "exec"), namespace, local)
    for name, value in local.items():
        setattr(cls, name, value)
cleaner = cls()

prompts = [
    "A Red Apple", "  an astronaut riding a horse  ", "photo of a cat https://example.com/cat.jpg on a sofa",
    "visit www.example.org/page for more", "<b>bold</b> text with <i>tags</i>", "thanks @some_user123 for this",
    "a dragon 龍 in the sky", "em—dash and en–dash and minus−sign", "“curly quotes” and ‘single’ ones",
    "a &quot;quoted&quot; word &amp; more", "server at 192.168.0.1 rendering", "item #12 and #123456 and 1234567",
    "file name image_01.png here", "***AUSVERKAUFT*** sale", "this-is-my-cute-cat-photo", "model jc6640 and jc6640vc and 6640vc231",
    "worldwide free shipping on all items", "free download of the wallpaper", "click for details now", "see page 12 of the book",
    "wallpaper 1920x1080 hd", "a sign that says : hello", "apples,pears.bananas/grapes", "'a quoted prompt'",
    "- a leading dash", "trailing plus+", "escaped\\nnewline in text", "percent%20encoded+text", "plain prompt",
    "a cat, a dog. a bird! (in brackets) [and] {braces} | pipe \\ backslash / slash",
]
rows = [{"prompt": p, "cleaned": cleaner._clean_caption(cleaner._clean_caption(p))} for p in prompts]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "if-caption-cleaning.json")
with open(out, "w", encoding="utf-8") as f:
    commit = sys.argv[2] if len(sys.argv) > 2 else "unknown commit"
    json.dump({"source": f"diffusers {commit} pipeline_if.py IFPipeline._clean_caption x2, bs4 "
               + __import__("bs4").__version__ + ", ftfy stand-in: NFC", "rows": rows}, f, ensure_ascii=False, indent=1)
for r in rows: print(repr(r["prompt"]), "->", repr(r["cleaned"]))
