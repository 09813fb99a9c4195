"""The cue families a support lead reads: waiting, asking again, money back, complaints asked as
questions, what is missing, irony, negated praise and drawn-out words, in any kind of business."""
import pytest

from engine.signals import analyze, load_lexicon


def complaint_cues(text: str) -> list[str]:
    signals = analyze(text)
    assert signals["is_complaint"], signals["cues"]
    return signals["cues"]["complaint"]


@pytest.mark.parametrize("text, cue", [
    ("I've been told to wait 10 working days for the money", "waiting time: 10 working days"),
    ("6 hours, no agent. Should I keep waiting?", "waiting time: 6 hours"),
    ("6 days, zero response", "waiting time: 6 days"),
    ("That is a LOOONG wait, pleeease help", "phrase: long wait"),
])
def test_waiting_expressions(text, cue):
    assert cue in complaint_cues(text)


@pytest.mark.parametrize("text", [
    "@SkyTel switched my plan over chat in ten minutes, smooth as anything 👍",
    "@BrightEnergy the engineer fitted our smart meter within an hour, thank you",
])
def test_a_duration_that_says_how_fast_is_no_wait(text):
    signals = analyze(text)
    assert not any(cue.startswith("waiting time") for cue in signals["cues"]["complaint"])
    assert signals["is_praise"] and not signals["is_complaint"]


@pytest.mark.parametrize("text, cue", [
    ("third time asking: where are my invoices?", "phrase: third time"),
    ("three emails and a chat later, the label still hasn't come", "phrase: three emails"),
    ("restarted the router four times", "phrase: four times"),
    ("I was promised a call back within 24 hours", "phrase: promised"),
    ("the deposit was meant to be released at checkout", "phrase: was meant to"),
    ("the engineer is nowhere to be seen", "phrase: nowhere to be seen"),
])
def test_asking_again_and_broken_promises(text, cue):
    assert cue in complaint_cues(text)


@pytest.mark.parametrize("text, cue", [
    ("got charged $59.99 after I cancelled. I'd like that back please", "phrase: like that back"),
    ("we booked a sea view and got the car park. Paid extra for that", "phrase: paid extra"),
    ("a payment of £230 left my account twice", "phrase: left my account"),
    ("my bill went up by 30% overnight", "phrase: bill went up"),
    ("what are you going to do to make this right?", "phrase: make this right"),
])
def test_money_taken_and_asked_back(text, cue):
    assert cue in complaint_cues(text)


@pytest.mark.parametrize("text, cue", [
    ("why is it so hard to get a human on your chat?", "phrase: why is it so"),
    ("how is this fair?", "phrase: how is this fair"),
    ("is anyone actually reading the support inbox?", "phrase: is anyone actually"),
    ("readings sent every month and still an estimated bill. What's the point?",
     "phrase: whats the point"),
    ("ordered a large meal and got a kids portion. Is that the new normal?", "phrase: new normal"),
    ("the fridge is making a grinding noise. Who do I talk to?", "phrase: who do i talk to"),
])
def test_complaints_asked_as_questions(text, cue):
    assert cue in complaint_cues(text)


@pytest.mark.parametrize("text, cue", [
    ("order says delivered at 2:14pm. I was home all day. No parcel.", "negated: no parcel"),
    ("6 days, zero response", "negated: zero response"),
    ("no mobile data since 6am", "negated: no mobile data"),
    ("got someone else's order", "phrase: someone elses"),
    ("delivery driver drove straight past my house", "phrase: drove straight past"),
    ("the app logged me out mid transfer", "phrase: logged me out"),
])
def test_what_is_missing_or_went_to_the_wrong_place(text, cue):
    assert cue in complaint_cues(text)


@pytest.mark.parametrize("text, cue", [
    ("really enjoying my Sunday on hold", "sarcasm: really enjoying … on hold"),
    ("fantastic night of waiting 3 hours for a technician", "sarcasm: fantastic … 3 hours"),
    ("thank you for 7 hours at the terminal", "sarcasm: thank you … 7 hours"),
])
def test_kind_words_aimed_at_a_hardship_are_irony(text, cue):
    signals = analyze(text)
    assert signals["is_complaint"] and not signals["is_praise"]
    assert cue in signals["cues"]["complaint"]
    assert signals["cues"]["praise"] == []


@pytest.mark.parametrize("text", [
    "great job fixing the outage so fast",
    "lovely crew despite the delay",
    "thanks for the update on the delay",
    "Anna deserves a raise for handling the cancellations so calmly",
    "brilliant work on the outage last night",
])
def test_kind_words_about_a_remedy_or_in_spite_of_a_hardship_are_not_irony(text):
    assert not any(cue.startswith("sarcasm") for cue in analyze(text)["cues"]["complaint"])


@pytest.mark.parametrize("text, cue", [
    ("@DashEats 2 hours for a pizza 🙃 great stuff", "sarcasm: 🙃"),
    ("love waiting in this queue 🙄", "sarcasm: 🙄"),
    ("best service ever #not", "sarcasm: #not"),
])
def test_faces_and_tags_of_irony_cancel_the_kind_words_beside_them(text, cue):
    signals = analyze(text)
    assert signals["is_complaint"] and not signals["is_praise"]
    assert cue in signals["cues"]["complaint"]


@pytest.mark.parametrize("text, cue", [
    ("this ain't cool", "negated: aint cool"),
    ("not enough staff on a Saturday", "negated: not enough staff"),
    ("the new checkout is not easy to use", "negated: not easy"),
])
def test_negated_praise_is_a_complaint(text, cue):
    assert cue in complaint_cues(text)


@pytest.mark.parametrize("text", [
    "you couldn't be more helpful, thank you",
    "the agent could not have been nicer",
    "I couldn't thank you enough for the help",
])
def test_praise_said_with_a_negation_stays_praise(text):
    signals = analyze(text)
    assert signals["is_praise"] and not signals["is_complaint"]


def test_a_but_weighs_only_its_own_sentence():
    signals = analyze("@HarbourHotels breakfast was outstanding. Room a bit small but we'd come back")
    assert "phrase: outstanding" in signals["cues"]["praise"]
    assert signals["is_praise"] and not signals["is_complaint"]


def test_a_sentence_opening_with_but_answers_the_ones_before():
    signals = analyze("Thanks for the quick reply. But my bag is still missing")
    assert "phrase: thanks (before a `but`)" in signals["cues"]["praise"]
    assert signals["is_complaint"]


def test_one_cue_at_the_flag_weight_flags():
    signals = analyze("Is it coming today??")
    assert signals["cues"]["complaint"] == ["punctuation: ??"]
    assert signals["complaint"] == 0.2 and signals["is_complaint"]


@pytest.mark.parametrize("text, cue", [
    ("Nadie respondeee, es una vergüenzaaa", "phrase: es una verguenza"),
    ("Noooo, le colis n'est toujours pas arrivé", "negated: pas arrive"),
])
def test_drawn_out_words_are_read_in_every_language(text, cue):
    assert cue in complaint_cues(text)


def test_english_irony_does_not_misread_praise_in_another_language():
    signals = analyze("¡Genial! Muchas gracias por todo")
    assert signals["language"] == "es" and signals["is_praise"] and not signals["is_complaint"]


def test_a_business_adds_its_own_remedies_and_quick_words(tmp_path):
    (tmp_path / "mine.yaml").write_text(
        "language: en\nremedies: [patched]\nwaiting:\n  quick: [barely]\n", encoding="utf-8")
    lexicon = load_lexicon(tmp_path)
    text = "brilliant team patched the outage"
    assert "sarcasm: brilliant … outage" in analyze(text)["cues"]["complaint"]
    assert not any(cue.startswith("sarcasm") for cue in analyze(text, lexicon)["cues"]["complaint"])
    assert "waiting time: 2 hours" in analyze("we waited barely 2 hours")["cues"]["complaint"]
    quick = analyze("we waited barely 2 hours", lexicon)
    assert not any(cue.startswith("waiting time") for cue in quick["cues"]["complaint"])


@pytest.mark.parametrize("text", [
    "great delay " * 900, "thank you for 7 hours " * 500, "loved the delay, " * 600,
    "not cool " * 1200, "sooo" * 3000 + "!", "why is it so " * 800, "6 hours. " * 1200,
])
def test_long_posts_of_the_new_cues_finish(text):
    assert len(text) >= 9_000
    signals = analyze(text)
    assert 0.0 <= signals["complaint"] <= 1.0
