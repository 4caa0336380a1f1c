"""The GPT Generation page's tabs, one module each (app_pages/gpt_generation.py lays them out); common.py holds
what more than one tab uses: the settings above the tabs and follow(), which streams a run from the shared generator."""
