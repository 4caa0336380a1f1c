"""The character-level GPT of the lecture: tokenizer.py, model.py (Head ... Block, GPT, the bigram
baseline), train.py, sampling.py (temperature, top-k/p), prompt.py (preparing prompts for the page),
batch_decode.py and service.py (many visitors' texts decoded together)."""
