"""The character-level GPT of the lecture: tokenizer.py, model.py (Head ... Block, GPT, the bigram
baseline), train.py, ladder.py (the lecture's steps, one config each), sampling.py (temperature, top-k/p),
prompt.py (preparing prompts for the page), batch_decode.py (many visitors' texts decoded together),
remote.py and service.py (that batch in a process of its own, or on the server's scheduler)."""
