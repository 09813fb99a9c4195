"""What the signals say about a post, and the cues a support lead reads to see why."""
import json

import pytest

from engine.signals import analyze, field_types

SCORES = ("complaint", "question", "praise", "urgency")
FLAGS = ("is_complaint", "is_question", "is_praise", "is_urgent")
FIRST_DETAILS = ("order_number", "booking_ref", "case_number", "tracking_number", "flight_number",
                 "email", "amount", "phone", "postcode", "zip_code")


@pytest.mark.parametrize("text", [None, "", "😡", "@brand", "ok " * 4000])
def test_every_key_is_present_and_json(text):
    signals = analyze(text)
    assert set(signals) == {*SCORES, *FLAGS, "language", "covered", "cues", "details",
                            *FIRST_DETAILS}
    assert set(signals["cues"]) == {*SCORES, "negated"}
    assert set(signals["details"]) == {f"{name}s" for name in FIRST_DETAILS}
    assert all(0.0 <= signals[score] <= 1.0 for score in SCORES)
    assert all(isinstance(signals[flag], bool) for flag in FLAGS)
    assert json.loads(json.dumps(signals)) == signals


def test_the_field_list_for_policies_matches_what_analyze_returns():
    signals = analyze("Order #884213 never arrived 😡")
    python_types = {"number": float, "bool": bool, "string": (str, type(None)), "labels": list}
    for path, kind in field_types().items():
        value = signals
        for step in path.split(".")[1:]:
            value = value[step]
        assert isinstance(value, python_types[kind]), path


def test_no_text_says_nothing():
    signals = analyze(None)
    assert [signals[score] for score in SCORES] == [0.0, 0.0, 0.0, 0.0]
    assert signals["language"] == "und"


@pytest.mark.parametrize("text, cue", [
    ("@CloudNotes the app crashes every time I open a shared notebook", "phrase: crashes"),
    ("@ShopMart your checkout charged me twice for one order", "phrase: charged me twice"),
    ("@VoltPhones TV won't turn on after the firmware update", "phrase: wont turn on"),
    ("@FastNet engineer was booked 8-12, nobody came", "negated: nobody came"),
    ("@BurgerBarn my order is missing the fries", "phrase: missing"),
    ("@CityBank this is unacceptable", "phrase: unacceptable"),
])
def test_complaints_are_flagged_with_the_phrase_that_shows_it(text, cue):
    signals = analyze(text)
    assert signals["is_complaint"]
    assert cue in signals["cues"]["complaint"]


def test_a_flat_complaint_is_read_from_its_waiting_times():
    signals = analyze("@AmericanAir 45 minute delay for take off and 30 minute wait for checked "
                      "bags? Really?")
    assert signals["is_complaint"]
    assert {"waiting time: 45 minute", "waiting time: 30 minute"} <= set(signals["cues"]["complaint"])


@pytest.mark.parametrize("text, cue", [
    ("I've been on hold for 2 hours", "waiting time: 2 hours"),
    ("ordered 3 weeks ago and nothing", "waiting time: 3 weeks"),
    ("we waited an hour for a table", "waiting time: an hour"),
    ("sat on the tarmac for 45min", "waiting time: 45 min"),
])
def test_waiting_time_expressions(text, cue):
    assert cue in analyze(text)["cues"]["complaint"]


def test_a_duration_without_waiting_is_no_complaint():
    signals = analyze("Our 3 year old loved the kids menu")
    assert not any(cue.startswith("waiting time") for cue in signals["cues"]["complaint"])
    assert not signals["is_complaint"]


@pytest.mark.parametrize("text", [
    "not bad at all, the new editor is actually nice",
    "I wouldn't say it's terrible",
    "never had a problem with them",
    "no problem, thanks for checking",
    "your app never disappoints",
])
def test_negated_complaint_words_are_not_complaints(text):
    assert not analyze(text)["is_complaint"]


def test_negation_is_listed_so_the_reader_sees_what_did_not_count():
    signals = analyze("I wouldn't say it's terrible")
    assert signals["cues"]["negated"] == ["wouldnt say its terrible"]
    assert signals["cues"]["complaint"] == []


@pytest.mark.parametrize("text, cue", [
    ("Brand new car and the door rattles. Not happy", "negated: not happy"),
    ("the parcel never arrived", "phrase: never arrived"),
    ("the app is not working since yesterday", "phrase: not working"),
    ("No one has answered my emails", "negated: no one has answered"),
])
def test_negated_good_things_are_complaints(text, cue):
    signals = analyze(text)
    assert signals["is_complaint"]
    assert cue in signals["cues"]["complaint"]


def test_a_negation_stops_at_the_end_of_its_clause():
    signals = analyze("No, the staff were happy to help")
    assert not signals["is_complaint"]


@pytest.mark.parametrize("text, cue", [
    ("Thanks for nothing @ShopMart", "sarcasm: thanks for nothing"),
    ("great, another delay", "sarcasm: great another"),
    ("Love paying £12 for a soggy burger", "sarcasm: love paying"),
    ("called your line and was hung up on. This is awesome. #sarcasm", "sarcasm: #sarcasm"),
])
def test_sarcasm_markers_make_a_complaint_not_praise(text, cue):
    signals = analyze(text)
    assert signals["is_complaint"] and not signals["is_praise"]
    assert cue in signals["cues"]["complaint"]


def test_kind_words_in_an_ironic_post_are_set_aside():
    signals = analyze("Was hung up on. This is awesome. #sarcasm")
    assert signals["cues"]["praise"] == []
    assert "ironic phrase: awesome" in signals["cues"]["negated"]


def test_praise_is_praise():
    signals = analyze("@ShopMart the lady at the Leeds store was so helpful today, thank you!")
    assert signals["is_praise"] and not signals["is_complaint"]
    assert "phrase: so helpful" in signals["cues"]["praise"]


def test_what_comes_before_a_but_counts_less():
    signals = analyze("Thanks for the quick reply, but my bag is still missing")
    assert signals["is_complaint"] and not signals["is_praise"]
    assert "phrase: thanks (before a `but`)" in signals["cues"]["praise"]


def test_kind_words_inside_a_question_count_less():
    signals = analyze("How is this good service?")
    assert "phrase: good service (in a question)" in signals["cues"]["praise"]


def test_an_intensifier_strengthens_the_phrase_it_stands_before():
    plain, intense = analyze("I am disappointed"), analyze("I am really disappointed")
    assert "phrase: really disappointed" in intense["cues"]["complaint"]
    assert intense["complaint"] > plain["complaint"]


@pytest.mark.parametrize("text, signal, cue", [
    ("😡😡 still no parcel", "complaint", "emoji: 😡"),
    ("speaker buzzes at any volume 👎", "complaint", "emoji: 👎"),
    ("love it ❤️", "praise", "emoji: ❤"),
    ("love it ❤", "praise", "emoji: ❤"),
    ("camera is amazing 👏🏽", "praise", "emoji: 👏"),
    ("my order is late :(", "complaint", "emoticon: :("),
    ("fixed, thanks :D", "praise", "emoticon: :D"),
    ("my account was hacked 🚨", "urgency", "emoji: 🚨"),
])
def test_emoji_and_emoticons(text, signal, cue):
    assert cue in analyze(text)["cues"][signal]


def test_an_emoticon_with_letters_is_not_read_inside_words():
    assert analyze("Note:Do read the manual")["cues"]["praise"] == []


@pytest.mark.parametrize("text, cue", [
    ("another cancelled order #fail", "hashtag: #fail"),
    ("@united #unitedfail again", "hashtag: #unitedfail"),
    ("done with this shop #NeverAgain", "hashtag: #neveragain"),
    ("@VoltPhones #disappointed", "hashtag: #disappointed"),
])
def test_hashtags(text, cue):
    signals = analyze(text)
    assert cue in signals["cues"]["complaint"]
    assert signals["is_complaint"]


def test_a_hashtag_is_never_read_as_negated():
    assert analyze("#work #monday")["cues"]["complaint"] == []


def test_repeated_punctuation_shows_disbelief_or_raises_the_voice():
    signals = analyze("You charged me for a cancelled order?!?! Fix it now!!!")
    assert "punctuation: ?!?!" in signals["cues"]["complaint"]
    assert "punctuation: !!!" in signals["cues"]["urgency"]


def test_capitals_raise_the_voice_of_a_complaint_only():
    assert "capitals: AGAIN" in analyze("Wrong size AGAIN")["cues"]["complaint"]
    assert analyze("Flying with NASA today")["cues"]["complaint"] == []


@pytest.mark.parametrize("text", [
    "@ShopMart do you ship to Ireland?",
    "@CloudNotes how do I move a note between workspaces",
    "@BurgerBarn is there a vegan menu",
    "Quick question about the family plan",
])
def test_questions(text):
    signals = analyze(text)
    assert signals["is_question"] and not signals["is_complaint"]


@pytest.mark.parametrize("text", [
    "URGENT: locked out of my account and I fly tonight",
    "someone made an unauthorised payment from my card, please help asap",
    "gas leak at the property, need an engineer immediately",
])
def test_urgency(text):
    assert analyze(text)["is_urgent"]


def test_tone_counts_as_one_cue_and_a_known_score_is_reused():
    signals = analyze("the whole thing was a letdown", tone=-0.8)
    assert "tone: -0.80" in signals["cues"]["complaint"]
    assert signals["is_complaint"]


def test_a_very_long_post_is_read_from_start_to_end():
    middle = "I would like to describe the whole afternoon in detail. " * 180
    text = "Order #884213 arrived damaged. " + middle + "Still waiting for my refund, call +44 7700 900123"
    assert len(text) > 10_000
    signals = analyze(text)
    assert {"phrase: damaged", "phrase: still waiting"} <= set(signals["cues"]["complaint"])
    assert signals["order_number"] == "884213"
    assert signals["phone"] == "+44 7700 900123"


@pytest.mark.parametrize("text", [
    "a" * 10_000, "1" * 10_000, "1 " * 5_000, "a." * 5_000, "@" * 10_000, "!?" * 5_000,
    "#" + "a" * 9_999, "😡" * 5_000, "not " * 2_500, "Order " * 1_600, "$1," * 3_000,
    "a@b." * 2_500, "(1) " * 2_500, "1Z" * 5_000, ("x" * 60 + "@") * 160, "'" * 10_000,
])
def test_adversarial_long_posts_finish(text):
    signals = analyze(text)
    assert 0.0 <= signals["complaint"] <= 1.0
