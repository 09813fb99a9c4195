"""The details customers give in a post, picked out for the agent, and masked for logs."""
import pytest

from engine.signals import analyze, mask


def details(text: str, kind: str) -> list[str]:
    return analyze(text)["details"][kind]


@pytest.mark.parametrize("text, expected", [
    ("ordered a jacket, still hasn't shipped. Order #884213", ["884213"]),
    ("order number: AB-12345 is wrong", ["AB-12345"]),
    ("my order 20931 was missing the fries", ["20931"]),
    ("Order no. 5521-889 and order ref ZX9981", ["5521-889", "ZX9981"]),
])
def test_order_numbers(text, expected):
    assert details(text, "order_numbers") == expected


@pytest.mark.parametrize("text", ["ordered at 7, still no food", "order on the 3rd", "order 2 pizzas"])
def test_words_after_order_are_not_order_numbers(text):
    assert details(text, "order_numbers") == []


@pytest.mark.parametrize("text, expected", [
    ("booking ref ABC123 shows the wrong date", ["ABC123"]),
    ("confirmation code: XYZ12A", ["XYZ12A"]),
    ("reservation number QWERTY for Friday", ["QWERTY"]),
])
def test_booking_refs(text, expected):
    assert details(text, "booking_refs") == expected


def test_a_plain_word_after_booking_is_no_reference():
    assert details("booking online never works", "booking_refs") == []


@pytest.mark.parametrize("text, expected", [
    ("Support ticket 55120, no reply", ["55120"]),
    ("Incident: 150202-000419 Thank you!", ["150202-000419"]),
    ("Repair ref RMA-44721. Any news?", ["RMA-44721"]),
    ("case #00123456 is still open", ["00123456"]),
])
def test_case_numbers(text, expected):
    assert details(text, "case_numbers") == expected


def test_a_case_number_is_not_also_a_phone_number():
    assert details("Incident: 150202-000419", "phones") == []


@pytest.mark.parametrize("text, expected", [
    ("Tracking 1Z999AA10123456784 says delivered", ["1Z999AA10123456784"]),
    ("parcel RR123456789GB never came", ["RR123456789GB"]),
    ("tracking number: 9400111899223197428490", ["9400111899223197428490"]),
])
def test_tracking_numbers(text, expected):
    assert details(text, "tracking_numbers") == expected


@pytest.mark.parametrize("text, expected", [
    ("flight 1146 to BWI is late", ["1146"]),
    ("Flight #462 update please", ["462"]),
    ("on flight UA 1234 tonight", ["UA 1234"]),
    ("the BA117 flight was cancelled", ["BA117"]),
])
def test_flight_numbers(text, expected):
    assert details(text, "flight_numbers") == expected


def test_flight_without_a_number_is_not_a_flight_number():
    assert details("flight from San Diego was fine", "flight_numbers") == []


@pytest.mark.parametrize("text, kind, expected", [
    ("is fibre available at SW1A 1AA yet?", "postcodes", ["SW1A 1AA"]),
    ("no signal in M1 1AE", "postcodes", ["M1 1AE"]),
    ("store near K1A 0B1 closed", "postcodes", ["K1A 0B1"]),
    ("Power outage in 43219 area. When can you send a tech?", "zip_codes", ["43219"]),
    ("I live in Columbus, OH 43219", "zip_codes", ["43219"]),
    ("zip code 90210-1234 not recognised", "zip_codes", ["90210-1234"]),
])
def test_postcodes_and_zip_codes(text, kind, expected):
    assert details(text, kind) == expected


def test_an_order_number_is_not_read_as_a_zip_code():
    signals = analyze("my order 20931 in the app")
    assert signals["details"]["order_numbers"] == ["20931"]
    assert signals["details"]["zip_codes"] == []


@pytest.mark.parametrize("text, expected", [
    ("charged me twice, £49.99 each time", ["£49.99"]),
    ("quoted $1,200.50 and charged more", ["$1,200.50"]),
    ("refund of €12,50 please", ["€12,50"]),
    ("that's 30 dollars for nothing", ["30 dollars"]),
    ("paid 15 GBP for delivery", ["15 GBP"]),
])
def test_amounts(text, expected):
    assert details(text, "amounts") == expected


def test_speeds_and_counts_are_not_amounts():
    assert details("5 Mbps on a 100 Mbps plan", "amounts") == []


@pytest.mark.parametrize("text, expected", [
    ("my e-mail address: zeki.demir089@gmail.com", ["zeki.demir089@gmail.com"]),
    ("write to a+b@mail.example.co.uk or c_d@x.org", ["a+b@mail.example.co.uk", "c_d@x.org"]),
])
def test_emails(text, expected):
    assert details(text, "emails") == expected


@pytest.mark.parametrize("text, expected", [
    ("call me on +44 20 7946 0958", ["+44 20 7946 0958"]),
    ("my number is (555) 123-4567", ["(555) 123-4567"]),
    ("ring 07700 900123 after 5", ["07700 900123"]),
    ("call us back to rebook. 7403607771", ["7403607771"]),
])
def test_phones(text, expected):
    assert details(text, "phones") == expected


@pytest.mark.parametrize("text", [
    "booked on 2020-03-04 for 3 nights",
    "see https://twitter.com/x/status/1235335618009485314",
    "I waited 45 minutes",
])
def test_dates_links_and_small_numbers_are_not_phones(text):
    assert details(text, "phones") == []


def test_the_first_detail_of_each_kind_sits_beside_the_scores():
    signals = analyze("Order #884213 and order 5521: call +44 7700 900123, jo@example.com")
    assert signals["order_number"] == "884213"
    assert signals["details"]["order_numbers"] == ["884213", "5521"]
    assert signals["phone"] == "+44 7700 900123"
    assert signals["email"] == "jo@example.com"
    assert signals["tracking_number"] is None


def test_a_detail_repeated_is_listed_once():
    assert details("order 12345... I said order 12345!", "order_numbers") == ["12345"]


def test_mask_hides_emails_and_phone_numbers_for_logs():
    text = "email zeki.demir089@gmail.com or call +44 7700 900123 about ticket 55120"
    assert mask(text) == "email z***@gmail.com or call +** **** ****23 about ticket 55120"


@pytest.mark.parametrize("text", [None, "", "nothing to hide here"])
def test_mask_leaves_other_text_alone(text):
    assert mask(text) == text
