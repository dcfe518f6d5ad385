from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_user
from tickets.models import AgentProfile, Role
from tickets.services.presence import (
    presence_connect,
    presence_disconnect,
    presence_heartbeat,
    presence_set,
    presence_sweep,
)

pytestmark = pytest.mark.django_db


def presence(user) -> str:
    return AgentProfile.objects.get(user=user).presence


def test_the_last_of_several_connections_takes_the_agent_offline(roles):
    user = make_user("ann", roles=[Role.AGENT])
    presence_connect(user_id=user.pk)
    presence_connect(user_id=user.pk)  # e.g. a second server process
    presence_disconnect(user_id=user.pk)
    assert presence(user) == "online"
    presence_disconnect(user_id=user.pk)
    assert presence(user) == "offline"
    presence_disconnect(user_id=user.pk)  # a stray disconnect changes nothing
    assert presence(user) == "offline"


def test_agents_whose_heartbeats_stopped_are_swept_offline(roles):
    crashed = make_user("crashed", roles=[Role.AGENT])
    alive = make_user("alive", roles=[Role.AGENT])
    for user in (crashed, alive):
        presence_connect(user_id=user.pk)
    AgentProfile.objects.filter(user=crashed).update(last_seen_at=timezone.now() - timedelta(minutes=5))
    presence_heartbeat(user_id=alive.pk)
    assert presence_sweep() == 1
    assert (presence(crashed), presence(alive)) == ("offline", "online")
    # Its connection count was dropped too: the next connection counts from zero.
    presence_connect(user_id=crashed.pk)
    presence_disconnect(user_id=crashed.pk)
    assert presence(crashed) == "offline"


def test_away_is_the_agents_choice_and_only_online_or_away_can_be_chosen(roles):
    user = make_user("ann", roles=[Role.AGENT])
    presence_connect(user_id=user.pk)
    presence_set(user_id=user.pk, presence="away")
    presence_heartbeat(user_id=user.pk)
    assert presence(user) == "away"
    with pytest.raises(ValueError):
        presence_set(user_id=user.pk, presence="offline")
