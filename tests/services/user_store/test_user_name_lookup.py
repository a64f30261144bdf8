"""``userName eq "..."``, the look-up an IdP makes before every create, answers as the general filter does."""

import pytest
from user_store_support import create, meta

from contracts.users.v1 import CreateUser, QueryUsers, UserPage
from services.user_store.handlers import user_name_asked
from shared.messaging.requester import unwrap
from shared.scim.attributes import USER
from shared.scim.filter_parser import parse_filter


def query(text: str, **paging) -> QueryUsers:
    return QueryUsers(filter=parse_filter(text, USER), **paging)


async def page(dispatch, command: QueryUsers, tenant: str = "t1") -> UserPage:
    return unwrap(await dispatch(command, meta(tenant)), UserPage)


@pytest.mark.parametrize("text", ['userName eq "Ann@X.test"', 'username EQ "ann@x.test"',
                                  'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ANN@x.test"'])
def test_the_look_up_is_recognised_however_it_is_spelled(text):
    assert user_name_asked(query(text)).lower() == "ann@x.test"


@pytest.mark.parametrize("text", ['userName ne "ann"', 'userName sw "ann"', 'externalId eq "ann"',
                                  'userName eq "ann" and active eq true', 'emails.value eq "ann"'])
def test_other_queries_take_the_general_path(text):
    assert user_name_asked(query(text)) is None


@pytest.mark.parametrize("paging", [{}, {"count": 0}, {"start_index": 2}, {"count": 5, "start_index": 1}])
async def test_it_answers_exactly_what_the_general_filter_answers(dispatch, paging):
    await create(dispatch, "Ann@X.test")
    await create(dispatch, "bob@x.test")
    await dispatch(CreateUser(resource={"userName": "ann@x.test", "active": True}), meta("t2"))  # other tenant
    fast = await page(dispatch, query('userName eq "ann@x.TEST"', **paging))
    general = await page(dispatch, query('userName eq "ann@x.TEST" and userName pr', **paging))
    assert user_name_asked(query('userName eq "ann@x.TEST" and userName pr')) is None
    assert fast == general
    assert fast.total_results == 1


async def test_an_unknown_name_is_an_empty_page(dispatch):
    await create(dispatch, "ann@x.test")
    assert await page(dispatch, query('userName eq "nobody@x.test"')) == UserPage(total_results=0, start_index=1,
                                                                                    resources=[])
