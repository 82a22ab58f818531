"""Writes the T5 tokenizer parity fixture: a SentencePiece Unigram model trained for the test with
T5's special-token layout (pad 0, </s> 1, <unk> 2, and bos_id = -1, as t5-v1_1-xxl's spiece.model
has), and the ids the reference `sentencepiece` package gives for varied prompts, with IF's
tokenizer settings applied as transformers' T5Tokenizer applies them: the pieces, then </s>,
truncated to 77 tokens (76 pieces + </s>), padded with 0 to 77, the mask 1 over the real tokens.

    /usr/bin/python3 make_t5_tokenizer_fixture.py      (Debian: apt-get install python3-sentencepiece)
"""
import io, json, os
import sentencepiece as spm

here = os.path.dirname(os.path.abspath(__file__))
corpus = [
    "a red apple on a wooden table", "a smiling cat with green eyes", "an astronaut riding a horse on the moon",
    "a bowl of ramen with chopsticks", "the quick brown fox jumps over the lazy dog", "a watercolor painting of a lighthouse",
    "two dogs playing in the snow", "a futuristic city at night, neon lights", "a cup of coffee, latte art",
    "a portrait photo of an old fisherman", "mountains reflected in a calm lake at sunrise", "a robot reading a book",
    "pizza with mushrooms and olives", "a paper boat floating on water", "an owl sitting on a branch",
] * 20
model = io.BytesIO()
spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus), model_writer=model, model_type="unigram", vocab_size=100,
                               pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0, seed_sentencepiece_size=1000,
                               normalization_rule_name="nmt_nfkc")
with open(os.path.join(here, "t5-test-spiece.model"), "wb") as f:
    f.write(model.getvalue())

sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
assert sp.bos_id() == -1 and sp.eos_id() == 1 and sp.pad_id() == 0
prompts = [
    "a red apple", "A Smiling CAT!!", "an astronaut, riding a horse; on the moon?", "  spaces   between   words  ",
    "café au lait", "ｆｕｌｌｗｉｄｔｈ letters", "emoji 🍕 and 猫", "tabs\tand\nnewlines", "",
    "numbers 123 and 4.56", "quotes \"like\" this and 'that'",
    " ".join(["the quick brown fox jumps over the lazy dog"] * 12),
]
rows = []
for prompt in prompts:
    pieces = sp.encode(prompt)[:76] + [sp.eos_id()]
    ids = pieces + [sp.pad_id()] * (77 - len(pieces))
    rows.append({"prompt": prompt, "ids": ids, "mask": [1] * len(pieces) + [0] * (77 - len(pieces))})
with open(os.path.join(here, "t5-tokenizer-parity.json"), "w", encoding="utf-8") as f:
    json.dump({"source": f"sentencepiece {spm.__version__}", "rows": rows}, f, ensure_ascii=False, indent=1)
