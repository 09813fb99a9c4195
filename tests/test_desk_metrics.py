"""The stand-in's ticket metrics, as Zendesk keeps them, read through zenpy over real HTTP."""
from zenpy.lib.api_objects import Comment, Ticket, User

from integrations.zendesk.client import DeskClient
from integrations.zendesk.desk_metrics import ticket_metric
from integrations.zendesk.desk_ops import DeskState


def test_an_agent_reply_a_solve_and_a_reopen_show_in_the_metrics(desk):
    client = DeskClient(desk, "agent@example.com", "test-token")
    zenpy = client.zenpy
    mary = zenpy.users.create_or_update(User(name="Mary", external_id="goodwill:twitter:1"))
    ann = zenpy.users.create(User(name="Ann", email="ann@example.com", role="agent"))
    first = client.create_ticket(external_id="goodwill:twitter:1", requester_id=mary.id, subject="Late",
                                 body="Where is my parcel?", idempotency_key="one")
    second = client.create_ticket(external_id="goodwill:twitter:2", requester_id=mary.id, subject="Cold",
                                  body="The coffee was cold", idempotency_key="two")

    fresh = zenpy.tickets.metrics(ticket=first["id"])
    assert fresh.ticket_id == first["id"] and fresh.replies == 0
    assert fresh.reply_time_in_minutes == {"calendar": None, "business": None}
    assert fresh.solved_at is None and fresh.first_resolution_time_in_minutes["calendar"] is None

    # Neither the requester's follow-up nor an internal note is a reply.
    client.add_comment(first["id"], "Hello?", public=True, author_id=mary.id)
    client.add_comment(first["id"], "Context for the agent", public=False)
    assert zenpy.tickets.metrics(ticket=first["id"]).replies == 0

    zenpy.tickets.update(Ticket(id=first["id"], assignee_id=ann.id,
                                comment=Comment(body="Sorry, it leaves today", public=True, author_id=ann.id)))
    answered = zenpy.tickets.metrics(ticket=first["id"])
    assert answered.replies == 1 and answered.reply_time_in_minutes == {"calendar": 0, "business": 0}
    assert answered.assignee_stations == 1 and answered.assigned_at is not None
    assert answered.solved_at is None

    zenpy.tickets.update(Ticket(id=first["id"], status="solved"))
    solved = zenpy.tickets.metrics(ticket=first["id"])
    assert solved.solved_at is not None and solved.first_resolution_time_in_minutes["calendar"] == 0
    assert solved.full_resolution_time_in_minutes["calendar"] == 0 and solved.reopens == 0

    client.add_comment(first["id"], "It never came", public=True, author_id=mary.id)
    reopened = zenpy.tickets.metrics(ticket=first["id"])
    assert reopened.reopens == 1 and reopened.full_resolution_time_in_minutes["calendar"] is None
    assert reopened.first_resolution_time_in_minutes["calendar"] == 0

    listed = list(zenpy.ticket_metrics())
    assert [m.ticket_id for m in listed] == [second["id"], first["id"]]  # newest ticket first
    assert zenpy.ticket_metrics(id=answered.id).ticket_id == first["id"]
    assert zenpy.tickets.metrics(ticket=second["id"]).replies == 0


def _at(minutes: int) -> str:
    return f"2026-11-02T10:{minutes:02d}:00Z" if minutes < 60 else f"2026-11-02T11:{minutes - 60:02d}:00Z"


def test_minutes_run_from_the_ticket_to_the_first_agent_reply_and_the_first_solve():
    desk = DeskState()
    agent = desk.users.agent("agent@example.com")
    mary = desk.users.create({"name": "Mary"})
    ticket, _ = desk.tickets.create({"requester_id": mary["id"], "comment": {"body": "Where is it?"}}, agent)
    desk.tickets.update(ticket["id"], {"comment": {"body": "Any news?", "author_id": mary["id"]}}, agent)
    desk.tickets.update(ticket["id"], {"comment": {"body": "On its way"}, "status": "pending"}, agent)
    desk.tickets.update(ticket["id"], {"status": "solved"}, agent)
    # The stand-in stamps records with the clock; here they are set to when each update would
    # have happened: the post at 10:00, the follow-up at 10:20, the reply at 10:42, the solve at 11:30.
    for minutes, audit, comment in zip((0, 20, 42), desk.tickets.audits[ticket["id"]],
                                       desk.tickets.comments[ticket["id"]]):
        audit["created_at"] = comment["created_at"] = _at(minutes)
    desk.tickets.audits[ticket["id"]][3]["created_at"] = _at(90)
    ticket["created_at"] = _at(0)

    metric = ticket_metric(ticket, desk.tickets.comments[ticket["id"]], desk.tickets.audits[ticket["id"]],
                           desk.users.users, 70001)
    assert metric["reply_time_in_minutes"] == {"calendar": 42, "business": 42}
    assert metric["first_resolution_time_in_minutes"] == {"calendar": 90, "business": 90}
    assert metric["solved_at"] == "2026-11-02T11:30:00Z" and metric["replies"] == 1
    # New from 10:00 to 10:42, then pending until the solve at 11:30.
    assert metric["requester_wait_time_in_minutes"]["calendar"] == 42
    assert metric["agent_wait_time_in_minutes"]["calendar"] == 48
    assert metric["requester_updated_at"] == _at(20)
