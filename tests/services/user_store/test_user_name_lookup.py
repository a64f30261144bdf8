"""``userName eq "..."``, the look-up an IdP makes before every create, answers as the general filter does;
and a page that is not full tells the total without a COUNT."""

import pytest
from user_store_support import create, meta

from contracts.users.v1 import CreateUser, QueryUsers, UserPage
from services.user_store.handlers import user_name_asked
from services.user_store.paging import total_from_page
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


@pytest.mark.parametrize(("start_index", "count", "found", "total"), [
    (1, 100, 1, 1), (1, 100, 0, 0), (21, 20, 5, 25), (1, 20, 20, None), (41, 20, 0, None), (1, 0, 0, None)])
def test_a_page_that_is_not_full_tells_the_total_without_counting(start_index, count, found, total):
    assert total_from_page(start_index, count, found) == total


@pytest.mark.parametrize("paging", [{}, {"count": 0}, {"count": 2}, {"start_index": 3}, {"start_index": 9}])
async def test_totals_are_the_same_whether_counted_or_told_by_the_page(dispatch, paging):
    for name in ("ann", "bob", "cid", "dan"):
        await create(dispatch, f"{name}@x.test", title="eng")
    told = await page(dispatch, query('title eq "eng"', **paging))
    assert told.total_results == 4
    assert len(told.resources) == len([1, 2, 3, 4][paging.get("start_index", 1) - 1:][:paging.get("count", 100)])
