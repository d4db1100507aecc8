"""The policy: plain data (`model`, `facts`, below the rules) and its loading and
validation (`load`, `validate`, `declared`, above them: derived from what the rules
declare)."""
