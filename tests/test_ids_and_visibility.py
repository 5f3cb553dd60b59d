"""One id rule, no id oracles, request ids that name one request, exact int64 messages and
market results an enterprise sees only its part of: over real gRPC, Valkey and broker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import grpc
import jwt
import pytest

from certificates.exceptions import InvalidInput
from certificates.ids import ID_RULE, is_id
from certificates.lots import check_id
from certificates.store import CertificateLedger
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import market_pb2 as mpb
from parkvpp.v1 import vpp_pb2 as vpb
from services.demo.park import curtailable_spec
from services.runtime.auth import issue_token
from services.runtime.errors import InvalidArgument
from services.runtime.rpc import require_id, to_ts
from services.vpp.instructions import instruction_id

DAY = "2026-03-02"
#: The first lot the ledger makes on a fresh database.
LOT = "GEC-000000000001"
HOUR = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
PV = epb.AssetSpec(
    generator=epb.Generator(
        capacity_kw=500.0, technology=epb.GENERATOR_TECHNOLOGY_PV, grid_connection_id="GC-1"
    )
)


@pytest.fixture(scope="module")
def park(stack_factory):
    """ent-a with generator a-pv (chosen by the operator) and 3,000,000 Wh in lot LOT; ent-b."""
    stack = stack_factory(db=3)
    clients = stack.clients()
    for enterprise_id in ("ent-a", "ent-b"):
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=enterprise_id, grid_area="CN-JS"
            )
        )
    clients.enrollment.EnrollAsset(
        epb.EnrollAssetRequest(
            request_id="r-pv", enterprise_id="ent-a", name="PV", spec=PV, asset_id="a-pv"
        )
    )
    (lot,) = CertificateLedger(stack.redis).issue(
        "seed", "a-pv", "pv", "CN-JS", "ent-a", [(HOUR, 3_000_000)]
    )
    assert lot.lot_id == LOT
    yield stack, clients
    clients.close()


def _refusal(call, request, metadata=()) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call(request, metadata=metadata, timeout=30)
    return err.value.code(), err.value.details()


# --- one id rule ------------------------------------------------------------------------

IDS = [
    ("chem-battery", True),
    ("a" * 64, True),
    ("GEC-000000000001", True),
    ("v1.2_x-Y", True),
    ("chem-battery\n", False),  # `$` would match before this newline; fullmatch does not
    ("\nchem-battery", False),
    ("chem-battery ", False),
    ("a" * 65, False),
    ("", False),
    (".hidden", False),
    ("-flag", False),
    ("a:b", False),
    ("{ent}", False),
    ("a/b", False),
    ("\u0430sset", False),  # Cyrillic a: a look-alike of "asset"
    ("١٢٣", False),  # Arabic-Indic digits
]


@pytest.mark.parametrize(("value", "ok"), IDS)
def test_the_service_layer_and_the_ledger_apply_the_same_id_rule(value, ok):
    assert is_id(value) is ok
    if ok:
        assert require_id("asset_id", value) == value
        assert check_id(value, "lot_id") == value
        return
    with pytest.raises(InvalidArgument) as service:
        require_id("asset_id", value)
    with pytest.raises(InvalidInput) as domain:
        check_id(value, "lot_id")
    assert str(domain.value) == f"lot_id: {ID_RULE}"
    assert str(service.value) == ("asset_id: is required" if not value else f"asset_id: {ID_RULE}")


def _id_fields(clients):
    """(call, request with a look-alike id, field the refusal names), one per id field."""
    bad = "ent-a\n"
    c = clients
    return [
        (
            c.enrollment.RegisterEnterprise,
            epb.RegisterEnterpriseRequest(enterprise_id=bad, name="x", grid_area="CN-JS"),
            "enterprise_id",
        ),
        (
            c.enrollment.RegisterEnterprise,
            epb.RegisterEnterpriseRequest(enterprise_id="ent-x", name="x", grid_area="CN-JS\n"),
            "grid_area",
        ),
        (c.enrollment.GetEnterprise, epb.GetEnterpriseRequest(enterprise_id=bad), "enterprise_id"),
        (
            c.enrollment.EnrollAsset,
            epb.EnrollAssetRequest(
                request_id="r-1", enterprise_id="ent-a", name="x", spec=PV, asset_id="a-pv\n"
            ),
            "asset_id",
        ),
        (
            c.enrollment.EnrollAsset,
            epb.EnrollAssetRequest(request_id="r-1\n", enterprise_id="ent-a", name="x", spec=PV),
            "request_id",
        ),
        (c.enrollment.GetAsset, epb.GetAssetRequest(asset_id="a-pv\n"), "asset_id"),
        (c.enrollment.ListAssets, epb.ListAssetsRequest(enterprise_id=bad), "enterprise_id"),
        (
            c.vpp.AcknowledgeDispatch,
            vpb.AcknowledgeDispatchRequest(enterprise_id="ent-a", instruction_ids=["ok-1", "x\n"]),
            "instruction_ids[1]",
        ),
        (
            c.market.SubmitOrders,
            mpb.SubmitOrdersRequest(
                batch_id="b\n", market_day=DAY, orders=[_order("o", "p", mpb.SIDE_SELL, 1, 1.0)]
            ),
            "batch_id",
        ),
        (
            c.market.SubmitOrders,
            mpb.SubmitOrdersRequest(
                batch_id="b", market_day=DAY, orders=[_order("o", "p\n", mpb.SIDE_SELL, 1, 1.0)]
            ),
            "orders[0].participant_id",
        ),
        (
            c.market.SubmitOrders,
            mpb.SubmitOrdersRequest(
                batch_id="b", market_day=DAY, orders=[_order("o\n", "p", mpb.SIDE_SELL, 1, 1.0)]
            ),
            "orders[0].order_id",
        ),
        (c.certificates.GetBalance, cpb.GetBalanceRequest(enterprise_id=bad), "enterprise_id"),
        (c.certificates.GetGreenTrade, cpb.GetGreenTradeRequest(trade_id="t\n"), "trade_id"),
    ]


def test_every_id_field_refuses_a_look_alike_naming_the_field(park):
    stack, clients = park
    before = clients.enrollment.ListAssets(epb.ListAssetsRequest())
    for call, request, field in _id_fields(clients):
        code, details = _refusal(call, request)
        assert (code, details) == (grpc.StatusCode.INVALID_ARGUMENT, f"{field}: {ID_RULE}")
    as_a = stack.auth("enterprise:ent-a")
    lot_moves = [
        (
            clients.certificates.Transfer,
            cpb.TransferRequest(request_id="t-1", lot_id=LOT + "\n", to_enterprise_id="ent-b"),
            "lot_id",
        ),
        (
            clients.certificates.Transfer,
            cpb.TransferRequest(request_id="t-1", lot_id=LOT, to_enterprise_id="ent-b\n"),
            "to_enterprise_id",
        ),
        (
            clients.certificates.Retire,
            cpb.RetireRequest(
                request_id="t-1",
                lot_id=LOT,
                beneficiary_enterprise_id="ent-a\n",
                consumption_period_start=to_ts(HOUR),
                consumption_period_end=to_ts(HOUR + timedelta(hours=1)),
            ),
            "beneficiary_enterprise_id",
        ),
    ]
    for call, request, field in lot_moves:
        code, details = _refusal(call, request, as_a)
        assert (code, details) == (grpc.StatusCode.INVALID_ARGUMENT, f"{field}: {ID_RULE}")
    assert clients.enrollment.ListAssets(epb.ListAssetsRequest()) == before


def test_a_token_for_a_look_alike_enterprise_is_neither_issued_nor_accepted(park):
    stack, clients = park
    with pytest.raises(InvalidArgument):
        issue_token(stack.settings.token_secret, "enterprise:ent-a\n")
    now = int(time.time())
    claims = {"role": "enterprise:ent-a\n", "iss": "parkvpp", "iat": now, "exp": now + 60}
    forged = jwt.encode(claims, stack.settings.token_secret.encode(), algorithm="HS256")
    code, _ = _refusal(
        clients.certificates.GetBalance,
        cpb.GetBalanceRequest(),
        (("authorization", f"Bearer {forged}"),),
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED


def test_instruction_ids_follow_the_id_rule_even_for_the_longest_asset_ids():
    assert instruction_id("2026-03-02", "a-pv", 7, 1) == "2026-03-02-a-pv-07"
    assert instruction_id("2026-03-02", "a-pv", 7, 3) == "2026-03-02-a-pv-07-r3"
    longest = instruction_id("2026-03-02", "a" * 64, 95, 12)
    # sha256("a" * 64) begins ffe054fe7ae0cb6d.
    assert longest == "2026-03-02-ffe054fe7ae0cb6d-95-r12" and is_id(longest)


# --- asset ids: no squatting, no oracle -----------------------------------------------


def test_an_enterprise_cannot_choose_an_asset_id_so_taken_and_free_look_the_same(park):
    stack, clients = park
    as_b = stack.auth("enterprise:ent-b")
    before = clients.enrollment.ListAssets(epb.ListAssetsRequest())
    answers = set()
    for chosen in ("a-pv", "b-free"):  # another tenant's id, and an id nobody has
        request = epb.EnrollAssetRequest(
            request_id=f"r-{chosen}", enterprise_id="ent-b", name="x", spec=PV, asset_id=chosen
        )
        answers.add(_refusal(clients.enrollment.EnrollAsset, request, as_b))
    assert answers == {
        (
            grpc.StatusCode.INVALID_ARGUMENT,
            "asset_id: is assigned by the service for an enterprise; leave it empty",
        )
    }
    assert clients.enrollment.ListAssets(epb.ListAssetsRequest()) == before
    own = clients.enrollment.EnrollAsset(
        epb.EnrollAssetRequest(request_id="r-own", enterprise_id="ent-b", name="x", spec=PV),
        metadata=as_b,
    )
    assert own.enterprise_id == "ent-b" and own.asset_id.startswith("ast-")
    assert len(own.asset_id) == 36 and is_id(own.asset_id)


def test_the_operator_choosing_a_taken_asset_id_is_told_it_is_taken(park):
    _, clients = park
    request = epb.EnrollAssetRequest(
        request_id="r-taken", enterprise_id="ent-b", name="x", spec=PV, asset_id="a-pv"
    )
    code, details = _refusal(clients.enrollment.EnrollAsset, request)
    assert (code, details) == (grpc.StatusCode.ALREADY_EXISTS, "asset_id: a-pv is taken")
    assert clients.enrollment.GetAsset(epb.GetAssetRequest(asset_id="a-pv")).enterprise_id == (
        "ent-a"
    )


# --- request ids name one request -------------------------------------------------------


def test_a_reused_enrolment_request_id_returns_the_same_asset_or_is_refused(park):
    stack, clients = park
    as_b = stack.auth("enterprise:ent-b")
    first_body = dict(request_id="r-once", enterprise_id="ent-b", name="Chiller", spec=PV)
    first = clients.enrollment.EnrollAsset(epb.EnrollAssetRequest(**first_body), metadata=as_b)
    again = clients.enrollment.EnrollAsset(epb.EnrollAssetRequest(**first_body), metadata=as_b)
    assert again == first
    others = [
        dict(first_body, name="Another chiller"),
        dict(first_body, spec=curtailable_spec(50.0)),
    ]
    for body in others:
        code, details = _refusal(
            clients.enrollment.EnrollAsset, epb.EnrollAssetRequest(**body), as_b
        )
        assert code == grpc.StatusCode.ALREADY_EXISTS
        assert details == (
            f"request_id: r-once was already used to enrol another asset ({first.asset_id}); "
            "use a new request id"
        )
    # A retry after the asset changed is still the same request: compared with the asset
    # as first enrolled, not as it is now.
    clients.enrollment.UpdateAsset(epb.UpdateAssetRequest(asset_id=first.asset_id, name="New"))
    retried = clients.enrollment.EnrollAsset(epb.EnrollAssetRequest(**first_body), metadata=as_b)
    assert (retried.asset_id, retried.name, retried.version) == (first.asset_id, "New", 2)
    names = [a.name for a in clients.enrollment.ListAssets(epb.ListAssetsRequest()).assets]
    assert "Another chiller" not in names


def test_a_reused_operator_request_id_with_another_chosen_asset_id_is_refused(park):
    _, clients = park
    body = dict(request_id="r-op", enterprise_id="ent-a", name="PV 2", spec=PV)
    first = clients.enrollment.EnrollAsset(epb.EnrollAssetRequest(**body, asset_id="a-pv-2"))
    assert first.asset_id == "a-pv-2"
    same = clients.enrollment.EnrollAsset(epb.EnrollAssetRequest(**body, asset_id="a-pv-2"))
    assert same == first
    # Leaving the chosen id out of a retry is the same request too.
    assert clients.enrollment.EnrollAsset(epb.EnrollAssetRequest(**body)) == first
    code, details = _refusal(
        clients.enrollment.EnrollAsset, epb.EnrollAssetRequest(**body, asset_id="a-pv-3")
    )
    assert code == grpc.StatusCode.ALREADY_EXISTS and details.startswith("request_id: r-op ")
    code, _ = _refusal(clients.enrollment.GetAsset, epb.GetAssetRequest(asset_id="a-pv-3"))
    assert code == grpc.StatusCode.NOT_FOUND


def test_a_reused_ledger_request_id_with_other_parameters_is_already_exists(park):
    stack, clients = park
    as_a = stack.auth("enterprise:ent-a")
    transfer = cpb.TransferRequest(
        request_id="move-1", lot_id=LOT, to_enterprise_id="ent-b", energy_wh=1_000
    )
    moved = clients.certificates.Transfer(transfer, metadata=as_a)
    assert moved.transferred.energy_wh == 1_000 and moved.remainder.energy_wh == 2_999_000
    assert clients.certificates.Transfer(transfer, metadata=as_a) == moved
    transfer.energy_wh = 2_000
    code, details = _refusal(clients.certificates.Transfer, transfer, as_a)
    assert (code, details) == (
        grpc.StatusCode.ALREADY_EXISTS,
        "request_id: move-1 was already used with other parameters",
    )
    balance = clients.certificates.GetBalance(cpb.GetBalanceRequest(), metadata=as_a)
    assert balance.active_wh == 2_999_000


# --- lot ids: another tenant's lot looks like no lot ----------------------------------


def test_another_tenants_lot_and_an_unknown_lot_get_the_same_answer(park):
    stack, clients = park
    as_b = stack.auth("enterprise:ent-b")
    period = dict(
        consumption_period_start=to_ts(HOUR),
        consumption_period_end=to_ts(HOUR + timedelta(hours=1)),
    )
    for lot_id in (LOT, "GEC-000000000999"):  # ent-a's lot, and a lot that does not exist
        calls = [
            (
                clients.certificates.Transfer,
                cpb.TransferRequest(
                    request_id=f"x-{lot_id}", lot_id=lot_id, to_enterprise_id="ent-a"
                ),
            ),
            (
                clients.certificates.Retire,
                cpb.RetireRequest(
                    request_id=f"y-{lot_id}",
                    lot_id=lot_id,
                    beneficiary_enterprise_id="ent-b",
                    **period,
                ),
            ),
        ]
        for call, request in calls:
            assert _refusal(call, request, as_b) == (
                grpc.StatusCode.NOT_FOUND,
                f"lot '{lot_id}' not found",
            )


# --- int64 values print as sent -------------------------------------------------------


def test_energy_beyond_the_bound_is_refused_before_the_ledger_and_messages_print_int64(park):
    stack, clients = park
    as_a = stack.auth("enterprise:ent-a")
    huge = 2**63 - 1
    period = dict(
        consumption_period_start=to_ts(HOUR),
        consumption_period_end=to_ts(HOUR + timedelta(hours=1)),
    )
    for call, request in (
        (
            clients.certificates.Transfer,
            cpb.TransferRequest(
                request_id="big-1", lot_id=LOT, to_enterprise_id="ent-b", energy_wh=huge
            ),
        ),
        (
            clients.certificates.Retire,
            cpb.RetireRequest(
                request_id="big-2",
                lot_id=LOT,
                beneficiary_enterprise_id="ent-a",
                energy_wh=huge,
                **period,
            ),
        ),
    ):
        code, details = _refusal(call, request, as_a)
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        assert details == "energy_wh: must be 0..1000000000000 Wh (0 = the whole lot)"
    # Within the bound the ledger's own message prints the Wh exactly (ent-a holds
    # 2,999,000 Wh of the lot after the transfer test, or 3,000,000 when run alone).
    held = clients.certificates.GetBalance(cpb.GetBalanceRequest(), metadata=as_a).active_wh
    for asked in (held + 1, 10**12):
        request = cpb.TransferRequest(
            request_id=f"much-{asked}", lot_id=LOT, to_enterprise_id="ent-b", energy_wh=asked
        )
        assert _refusal(clients.certificates.Transfer, request, as_a) == (
            grpc.StatusCode.FAILED_PRECONDITION,
            f"lot '{LOT}' holds {held} Wh, {asked} Wh requested",
        )


# --- market batches and results ---------------------------------------------------------


def _order(order_id, participant, side, price, kw, interval=40) -> mpb.Order:
    return mpb.Order(
        order_id=order_id,
        participant_id=participant,
        market_day=DAY,
        interval=interval,
        product=mpb.PRODUCT_DEMAND_RESPONSE,
        side=side,
        steps=[mpb.PriceStep(price_fen_per_mwh=price, quantity_kw=kw)],
    )


ORDERS = [
    _order("vpp-40", "parkvpp-vpp", mpb.SIDE_SELL, 500_000, 100.0),
    _order("gen-40", "gen-x", mpb.SIDE_SELL, 300_000, 50.0),
    _order("ent-a-40", "ent-a", mpb.SIDE_BUY, 800_000, 120.0),
]


def test_a_batch_id_and_an_order_id_each_name_one_thing(park):
    _, clients = park
    batch = mpb.SubmitOrdersRequest(batch_id="batch-1", market_day=DAY, orders=ORDERS)
    assert clients.market.SubmitOrders(batch).orders_accepted == 3
    assert clients.market.SubmitOrders(batch).orders_accepted == 3  # a retry
    other = mpb.SubmitOrdersRequest(batch_id="batch-1", market_day=DAY, orders=ORDERS[:1])
    assert _refusal(clients.market.SubmitOrders, other) == (
        grpc.StatusCode.ALREADY_EXISTS,
        "batch_id: batch-1 was already submitted with other orders; use a new batch id",
    )
    changed = _order("gen-40", "gen-x", mpb.SIDE_SELL, 1, 5_000.0)
    reused = mpb.SubmitOrdersRequest(
        batch_id="batch-2",
        market_day=DAY,
        orders=[_order("new-41", "gen-x", mpb.SIDE_SELL, 1, 1.0), changed],
    )
    assert _refusal(clients.market.SubmitOrders, reused) == (
        grpc.StatusCode.ALREADY_EXISTS,
        f"orders[1].order_id: gen-40 names another order of {DAY}",
    )


def test_an_enterprise_sees_the_prices_and_only_its_own_awards(park):
    stack, clients = park
    clients.market.SubmitOrders(
        mpb.SubmitOrdersRequest(batch_id="batch-1", market_day=DAY, orders=ORDERS)
    )
    clients.market.ClearMarket(mpb.ClearMarketRequest(market_day=DAY))
    request = mpb.GetClearingResultRequest(market_day=DAY)
    # Hand-cleared: at 500,000 fen/MWh supply 150 kW meets demand 120 kW (at 300,000 only
    # 50 kW trade), so gen-x sells its 50 kW whole, the VPP 70 kW at the margin, ent-a
    # buys 120 kW.
    whole = clients.market.GetClearingResult(request)
    assert [(i.interval, i.clearing_price_fen_per_mwh, i.cleared_kw) for i in whole.intervals] == [
        (40, 500_000, 120.0)
    ]
    assert sorted((a.participant_id, a.awarded_kw) for a in whole.awards) == [
        ("ent-a", 120.0),
        ("gen-x", 50.0),
        ("parkvpp-vpp", 70.0),
    ]
    for role in ("esco", "monitor"):
        assert clients.market.GetClearingResult(request, metadata=stack.auth(role)) == whole
    as_a = clients.market.GetClearingResult(request, metadata=stack.auth("enterprise:ent-a"))
    assert [(a.participant_id, a.side, a.awarded_kw, a.price_fen_per_mwh) for a in as_a.awards] == [
        ("ent-a", mpb.SIDE_BUY, 120.0, 500_000)
    ]
    as_b = clients.market.GetClearingResult(request, metadata=stack.auth("enterprise:ent-b"))
    assert list(as_b.awards) == []
    for seen in (as_a, as_b):
        assert (seen.clearing_id, seen.market_day, seen.cleared_at) == (
            whole.clearing_id,
            whole.market_day,
            whole.cleared_at,
        )
        assert [
            (i.interval, i.clearing_price_fen_per_mwh, i.cleared_kw) for i in seen.intervals
        ] == [(40, 500_000, 0.0)]
