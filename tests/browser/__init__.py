"""Browser tests: the demo as a person sees it, in headless Chromium."""
