"""A business extends the shipped lexicons with its own files, and mistakes are refused clearly."""
import textwrap

import pytest

from engine.signals import LexiconErrors, analyze, default_lexicon, load_lexicon, validate_lexicons


def write(folder, name: str, text: str):
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_shipped_lexicons_are_valid():
    assert validate_lexicons() == []


def test_a_business_adds_its_own_words_and_formats(tmp_path):
    write(tmp_path, "acme.yaml", """\
        language: en
        signals:
          complaint:
            - weight: 0.7
              phrases: ["blue screen", "boot loop*"]
        """)
    write(tmp_path, "acme-details.yaml", """\
        language: any
        details:
          loyalty_numbers:
            - 'ACME-\\d{6}'
        """)
    lexicon = load_lexicon(tmp_path)
    signals = analyze("Laptop stuck in a boot loop again. Card ACME-123456", lexicon)
    assert "phrase: boot loop" in signals["cues"]["complaint"]
    assert signals["details"]["loyalty_numbers"] == ["ACME-123456"]
    assert signals["loyalty_number"] == "ACME-123456"
    assert "phrase: blue screen" in analyze("a blue screen every morning", lexicon)["cues"]["complaint"]


def test_a_business_format_claims_its_text_before_the_shipped_shapes(tmp_path):
    write(tmp_path, "accounts.yaml", """\
        language: any
        details:
          account_numbers: ['\\bAC\\d{10}\\b', '(?i:account)\\s(?P<value>\\d{10})\\b']
        """)
    signals = analyze("my account 4455667788 was charged", load_lexicon(tmp_path))
    assert signals["account_number"] == "4455667788"
    assert signals["phone"] is None


def test_a_business_can_silence_a_shipped_phrase(tmp_path):
    write(tmp_path, "brand.yaml", """\
        language: en
        ignore: [fail*]
        """)
    text = "Ordered the Fail Safe lock from you"
    assert "phrase: fail" in analyze(text)["cues"]["complaint"]
    silenced = analyze(text, load_lexicon(tmp_path))
    assert "phrase: fail" not in silenced["cues"]["complaint"] and not silenced["is_complaint"]


def test_the_setting_names_the_folder_of_extra_files(tmp_path, monkeypatch):
    write(tmp_path, "outage.yaml", """\
        language: en
        signals:
          urgency:
            - weight: 0.8
              phrases: [grid down]
        """)
    monkeypatch.setenv("GOODWILL_LEXICONS", str(tmp_path))
    assert default_lexicon() is default_lexicon()
    assert analyze("grid down on our street")["is_urgent"]


def test_a_business_adds_a_language(tmp_path):
    write(tmp_path, "pl.yaml", """\
        language: pl
        stopwords: [nie, jest, moje, mój, się, na, do, i, w, z]
        negators: [nie]
        signals:
          complaint:
            - weight: 0.6
              negation: required
              cue: negated
              phrases: [dotarło, działa]
        """)
    signals = analyze("Moje zamówienie nie dotarło i nic nie działa", load_lexicon(tmp_path))
    assert signals["language"] == "pl" and signals["covered"]
    assert "negated: nie dotarło" in signals["cues"]["complaint"]


def errors_of(folder) -> list[str]:
    with pytest.raises(LexiconErrors) as caught:
        load_lexicon(folder)
    return [str(error) for error in caught.value.errors]


@pytest.mark.parametrize("text, line, words", [
    ("language: en\nsignal:\n  complaint: []\n", 2, "unknown key `signal`"),
    ("language: en\nsignals:\n  complaint:\n    - weight: 2\n      phrases: [x]\n", 4,
     "`weight` must be a number above 0 and at most 1"),
    ("language: en\nsignals:\n  complaint:\n    - phrases: [x]\n", 4, "needs `weight` and `phrases`"),
    ("language: en\nsignals:\n  complaints:\n    - {weight: 0.5, phrases: [x]}\n", 3,
     "unknown key `complaints`"),
    ("language: en\nsignals:\n  complaint:\n    - weight: 0.5\n      phrases:\n        - ok\n"
     "        - '* late'\n", 7, "cannot start or end a phrase"),
    ("language: en\nsignals:\n  complaint:\n    - weight: 0.5\n      negation: sometimes\n"
     "      phrases: [x]\n", 5, "`negation` is one of flips, ignored, required"),
    ("language: en\nsignals:\n  complaint:\n    - weight: 0.5\n      phrases: ['re*']\n", 5,
     "at least 3 letters"),
    ("language: en\nsignals:\n  complaint:\n    - weight: 0.5\n      phrases: ['{amount} off']\n", 5,
     "unknown placeholder `{amount}`"),
    ("language: en\nsignals:\n  complaint:\n    - weight: 0.5\n      phrases: [bbb]\n", 5,
     "a letter three times running is read once"),
    ("language: en\nremedies: [fixxx]\n", 2, "write `fix`"),
    ("language: en\nwaiting:\n  between: [working days]\n", 3, "write one word per entry"),
    ("language: english\n", 1, "say which language the file is for"),
    ("stopwords: [a]\n", 1, "say which language the file is for"),
    ("language: en\nnegators: [not at all]\n", 2, "write one word per entry"),
    ("language: en\ndetails:\n  order_numbers: ['\\d+']\n", 3, "details apply to every language"),
    ("language: any\ndetails:\n  order_numbers: ['(\\d+']\n", 3, "not a valid regular expression"),
    ("language: any\ndetails:\n  order_numbers: ['(?:\\d+)+x']\n", 3, "can take minutes"),
    ("language: any\ndetails:\n  order_numbers: ['(ORD)-(\\d+)']\n", 3, "(?P<value>...)"),
    ("language: any\ndetails:\n  Orders: ['\\d+']\n", 3, "lower case and plural"),
    ("language: any\ndetails:\n  complaints: ['\\d+']\n", 3, "not after a signal"),
    ("language: en\nsignals: [\n", 3, "not valid YAML"),
    ("", 1, "the file is empty"),
])
def test_mistakes_are_refused_with_file_line_and_a_plain_sentence(tmp_path, text, line, words):
    path = write(tmp_path, "mine.yaml", text)
    errors = errors_of(tmp_path)
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:{line}: ")
    assert words in errors[0]


def test_every_mistake_is_reported_not_just_the_first(tmp_path):
    write(tmp_path, "a.yaml", "language: en\nsignals:\n  complaint:\n    - {weight: 0, phrases: [x]}\n")
    write(tmp_path, "b.yaml", "language: any\ndetails:\n  order_numbers: ['(a|b)+']\n")
    assert len(errors_of(tmp_path)) == 2


def test_a_missing_folder_is_refused(tmp_path):
    assert errors_of(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}:1: lexicon folder not found"]


def test_validate_lexicons_returns_the_errors(tmp_path):
    write(tmp_path, "x.yaml", "language: en\nintensifiers: [very much]\n")
    assert [error.line for error in validate_lexicons(tmp_path)] == [2]
