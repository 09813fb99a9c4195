"""Posts in other languages: told apart, read where a lexicon exists, never misread."""
import pytest

from engine.signals import analyze


@pytest.mark.parametrize("text, language", [
    ("@ShopMart my order still hasn't arrived and nobody answers", "en"),
    ("@ShopMart mi pedido no ha llegado y nadie responde", "es"),
    ("@FastNet toujours pas de connexion depuis trois jours", "fr"),
    ("@VoltPhones mein Handy funktioniert nach dem Update nicht mehr", "de"),
    ("@AutoDrive il volo è in ritardo e nessuno ci dice niente", "it"),
    ("@ShopMart o meu pedido ainda não chegou", "pt"),
    ("@ShopMart mijn pakket is nog niet aangekomen", "nl"),
    ("@ShopMart мой заказ до сих пор не пришёл", "ru"),
    ("@ShopMart моє замовлення ще не прийшло", "uk"),
    ("@ShopMart 注文した商品がまだ届きません", "ja"),
    ("@ShopMart 我的订单还没到", "zh"),
    ("@ShopMart 주문한 상품이 아직 안 왔어요", "ko"),
    ("@ShopMart طلبي لم يصل بعد", "ar"),
    ("@ShopMart ההזמנה שלי עוד לא הגיעה", "he"),
    ("@ShopMart η παραγγελία μου δεν έφτασε", "el"),
])
def test_language_is_detected_without_a_model(text, language):
    assert analyze(text)["language"] == language


@pytest.mark.parametrize("text, cue", [
    ("@ShopMart mi pedido no ha llegado y nadie responde. Quiero un reembolso", "phrase: reembolso"),
    ("@FastNet toujours pas de connexion depuis trois jours, c'est inadmissible",
     "phrase: inadmissible"),
    ("@VoltPhones mein Handy funktioniert nach dem Update nicht mehr",
     "phrase: funktioniert nach dem update nicht"),
])
def test_complaints_in_covered_languages(text, cue):
    signals = analyze(text)
    assert signals["covered"] and signals["is_complaint"]
    assert cue in signals["cues"]["complaint"]


def test_french_elisions_are_split_off_the_word_they_lean_on():
    signals = analyze("Le colis n'est pas arrivé, c'est une blague")
    assert signals["language"] == "fr"
    assert {"negated: pas arrive", "phrase: c est une blague"} <= set(signals["cues"]["complaint"])


@pytest.mark.parametrize("text", [
    "@BurgerBarn ¡la mejor hamburguesa de la ciudad! Muchas gracias",
    "@AutoDrive un grand merci, le service est au top",
    "@CloudNotes vielen Dank, die neue Version ist wirklich toll",
])
def test_praise_in_covered_languages(text):
    signals = analyze(text)
    assert signals["is_praise"] and not signals["is_complaint"]


def test_a_waiting_time_in_french():
    assert "waiting time: trois jours" in analyze("j'attends depuis trois jours")["cues"]["complaint"]


def test_a_language_without_a_lexicon_is_not_misread():
    signals = analyze("@ShopMart il pacco non è mai arrivato, che vergogna")
    assert signals["language"] == "it" and not signals["covered"]
    assert signals["cues"]["complaint"] == [] and signals["complaint"] == 0.0


def test_emoji_still_count_in_a_language_without_a_lexicon():
    signals = analyze("@ShopMart мой заказ не пришёл 😡")
    assert signals["language"] == "ru" and not signals["covered"]
    assert signals["cues"]["complaint"] == ["emoji: 😡"]


def test_a_few_words_too_few_to_tell_are_read_with_every_lexicon():
    signals = analyze("¡Genial!")
    assert signals["language"] == "und"
    assert signals["is_praise"]
