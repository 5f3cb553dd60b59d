"""The chaos runner's verdict: what was acknowledged and is missing (lost) or wrong (diverged).

Read after the workers stopped and the stack converged, through the services' RPCs where a
user would look (load profiles, the registry, the portfolio, dispatch, green trades,
balances) and in Redis where only Redis can tell (each asset-day's kept power readings, the
certificate ledger's audit replay, the outbox streams and the retained log).
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import grpc
import redis

from bidding.intervals import locate_period_end
from certificates.store import CertificateLedger
from loadtests._chaos_park import CALL_TIMEOUT_S, PV_OWNER, Park, local_today
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import market_pb2 as mpb
from parkvpp.v1 import telemetry_pb2 as tpb
from parkvpp.v1 import vpp_pb2 as vpb
from services.runtime import outbox
from services.runtime.store import shared_key
from services.telemetry.rollups import Rollups
from services.vpp.consumer import vpp_awards_kw

#: Kinds in the report, in order.
KINDS = ("readings", "enrolments", "portfolio", "dispatch", "trades", "ledger", "outbox")
#: Problems described in full; the rest are only counted.
DETAILS = 12
KW_TOLERANCE = 0.01
#: Seconds between progress lines while converging.
PROGRESS_S = 5.0


@dataclass
class Findings:
    acknowledged: Counter[str] = field(default_factory=Counter)
    lost: Counter[str] = field(default_factory=Counter)
    diverged: Counter[str] = field(default_factory=Counter)
    details: list[str] = field(default_factory=list)

    def loss(self, kind: str, count: int, what: str) -> None:
        self._note(self.lost, kind, count, f"lost {kind}: {what}")

    def divergence(self, kind: str, count: int, what: str) -> None:
        self._note(self.diverged, kind, count, f"diverged {kind}: {what}")

    def _note(self, counter: Counter[str], kind: str, count: int, line: str) -> None:
        if count <= 0:
            return
        counter[kind] += count
        if len(self.details) < DETAILS:
            self.details.append(line)


def outbox_backlog(client: redis.Redis) -> tuple[int, int, int]:
    """(events in outbox streams, retained events, entries set aside as unusable)."""
    streams = {s.decode() for s in client.smembers(outbox.STREAMS_KEY)}
    streams |= {k.decode() for k in client.scan_iter(match="parkvpp:*:outbox", _type="STREAM")}
    pipe = client.pipeline(transaction=False)
    for stream in sorted(streams):
        pipe.xlen(stream)
    pipe.xlen(outbox.RETAINED_KEY)
    pipe.xlen(shared_key(outbox.OUTBOX_TAG, "unusable"))
    *pending, retained, unusable = pipe.execute()
    return sum(pending), int(retained), int(unusable)


def _stored_readings(park: Park, client: redis.Redis) -> dict[tuple[str, date], dict[int, float]]:
    keys = sorted(park.acks.sent_readings)
    kept = Rollups(client).stored_powers([(park.acks.owners[a], a, d) for a, d in keys])
    return dict(zip(keys, kept, strict=True))


def _undispatched(park: Park) -> list[str]:
    missing = []
    for day in sorted(park.acks.cleared):
        request = vpb.ListDispatchRequest(market_day=day)
        reply = park.until_acknowledged(
            "ListDispatch",
            lambda r=request: park.clients.vpp.ListDispatch(r, timeout=CALL_TIMEOUT_S),
            forever=True,
        )
        if reply is None or reply.revision == 0:
            missing.append(day)
    return missing


def wait_converged(
    park: Park, client: redis.Redis, timeout_s: float, progress: Callable[[str], None]
) -> tuple[bool, float]:
    """Wait until the outbox is drained, every acknowledged reading is kept for its asset-day and
    every cleared day is dispatched; (converged, seconds waited). `progress` gets what is
    still open every PROGRESS_S."""
    started = time.monotonic()
    told = started
    while True:
        pending, retained, _ = outbox_backlog(client)
        stored = _stored_readings(park, client)
        missing = sum(
            len(set(acked) - set(stored[key])) for key, acked in park.acks.readings.items()
        )
        undispatched = _undispatched(park)
        done = (pending, retained, missing, len(undispatched)) == (0, 0, 0, 0)
        now = time.monotonic()
        if done or now - started > timeout_s:
            return done, now - started
        if now - told >= PROGRESS_S:
            told = now
            progress(
                f"converging for {now - started:.0f} s: {pending} events unpublished, "
                f"{retained} retained, {missing} readings not rolled up, "
                f"{len(undispatched)} cleared days not dispatched"
            )
        time.sleep(1.0)


def check_readings(park: Park, client: redis.Redis, found: Findings) -> None:
    """Each acknowledged reading once in its hash and in the load profile's interval."""
    acks = park.acks
    stored = _stored_readings(park, client)
    for key, sent in sorted(acks.sent_readings.items()):
        acked, got = acks.readings.get(key, {}), stored[key]
        found.acknowledged["readings"] += len(acked)
        missing = sorted(set(acked) - set(got))
        found.loss("readings", len(missing), f"{key[0]} {key[1]}: {_stamps(missing)}")
        unknown = sorted(set(got) - set(sent))
        found.divergence("readings", len(unknown), f"{key[0]} {key[1]} never sent: {unknown[:3]}")
        changed = sorted(e for e in set(got) & set(sent) if got[e] != sent[e])
        found.divergence("readings", len(changed), f"{key[0]} {key[1]} other values: {changed[:3]}")
    by_asset: dict[str, list[date]] = defaultdict(list)
    for asset_id, day in stored:
        by_asset[asset_id].append(day)
    for asset_id, days in sorted(by_asset.items()):
        _check_profile(park, asset_id, sorted(days), stored, found)


def _stamps(epochs: list[int]) -> str:
    shown = ", ".join(datetime.fromtimestamp(e, UTC).isoformat() for e in epochs[:3])
    return shown + (f" and {len(epochs) - 3} more" if len(epochs) > 3 else "")


def _check_profile(
    park: Park,
    asset_id: str,
    days: list[date],
    stored: dict[tuple[str, date], dict[int, float]],
    found: Findings,
) -> None:
    """The rollup (reading count and average per interval) equals the readings stored."""
    expected: dict[tuple[str, int], list[float]] = defaultdict(list)
    for day in days:
        for epoch, kw in stored[(asset_id, day)].items():
            located_day, interval = locate_period_end(datetime.fromtimestamp(epoch, UTC))
            expected[(located_day.isoformat(), interval)].append(kw)
    # Every day lies within HISTORY_START_DAYS + 2 < 366 days: one profile per asset.
    request = tpb.GetLoadProfileRequest(
        asset_id=asset_id, from_market_day=days[0].isoformat(), to_market_day=days[-1].isoformat()
    )
    profile = park.until_acknowledged(
        "GetLoadProfile",
        lambda: park.clients.telemetry.GetLoadProfile(request, timeout=60),
        forever=True,
    )
    assert profile is not None
    for row in profile.intervals:
        values = expected.pop((row.market_day, row.interval), [])
        where = f"{asset_id} {row.market_day} interval {row.interval}"
        if row.reading_count != len(values):
            found.divergence(
                "readings",
                abs(row.reading_count - len(values)),
                f"{where}: {row.reading_count} rolled up, {len(values)} stored",
            )
        elif values and not math.isclose(
            row.average_kw, sum(values) / len(values), rel_tol=1e-9, abs_tol=1e-6
        ):
            found.divergence("readings", 1, f"{where}: average {row.average_kw} kW")
    leftover = sum(len(v) for v in expected.values())
    found.divergence("readings", leftover, f"{asset_id}: {leftover} stored readings not in profile")


def _get(park: Park, method: str, call) -> object | None:
    """A read until it answers; None when it answers NOT_FOUND."""
    try:
        return call()
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            return None
        return park.until_acknowledged(method, call, forever=True)


def check_enrolments(park: Park, found: Findings) -> None:
    """Each acknowledged enrolment in the registry as sent, once; approved ones active and in
    the VPP portfolio."""
    enrollment = park.clients.enrollment
    for asset_id, (enterprise_id, spec) in sorted(park.acks.enrolled.items()):
        found.acknowledged["enrolments"] += 1
        request = epb.GetAssetRequest(asset_id=asset_id)
        asset = _get(
            park, "GetAsset", lambda r=request: enrollment.GetAsset(r, timeout=CALL_TIMEOUT_S)
        )
        if asset is None:
            found.loss("enrolments", 1, f"{asset_id} of {enterprise_id} not in the registry")
            continue
        if (asset.enterprise_id, asset.spec) != (enterprise_id, spec):
            found.divergence("enrolments", 1, f"{asset_id}: {asset.enterprise_id} {asset.spec}")
        if asset_id in park.acks.approved and asset.status != epb.ASSET_STATUS_ACTIVE:
            found.loss("enrolments", 1, f"{asset_id} approved but {asset.status}")
        history = epb.GetAssetHistoryRequest(asset_id=asset_id)
        changes = park.until_acknowledged(
            "GetAssetHistory",
            lambda r=history: enrollment.GetAssetHistory(r, timeout=CALL_TIMEOUT_S),
            forever=True,
        )
        actions = Counter(change.action for change in changes.changes)
        if actions["ENROLLED"] != 1 or actions["APPROVED"] > 1:
            found.divergence("enrolments", 1, f"{asset_id} history {dict(actions)}")
    day = (local_today() + timedelta(days=1)).isoformat()
    request = vpb.GetFlexibilityRequest(market_day=day, include_assets=True)
    envelope = park.until_acknowledged(
        "GetFlexibility",
        lambda: park.clients.vpp.GetFlexibility(request, timeout=120),
        forever=True,
    )
    in_portfolio = {a.asset_id for a in envelope.assets}
    missing = sorted(park.acks.approved - in_portfolio)
    found.acknowledged["portfolio"] = len(park.acks.approved)
    found.loss("portfolio", len(missing), f"approved, not in the portfolio of {day}: {missing[:5]}")


def check_dispatch(park: Park, found: Findings) -> None:
    """Each acknowledged clearing stored as returned and dispatched once (revision 1) with
    setpoints plus shortfall equal to the VPP's awards where awarded, and never a reduction
    where nothing is (a moved run may add load there)."""
    vpp_id = park.settings.vpp_participant_id
    for day, result in sorted(park.acks.cleared.items()):
        found.acknowledged["dispatch"] += 1
        get = mpb.GetClearingResultRequest(market_day=day, product=result.product)
        stored = _get(
            park,
            "GetClearingResult",
            lambda r=get: park.clients.market.GetClearingResult(r, timeout=CALL_TIMEOUT_S),
        )
        if stored is None:
            found.loss("dispatch", 1, f"clearing of {day} not stored")
            continue
        if stored != result:
            found.divergence("dispatch", 1, f"clearing of {day} differs from the reply")
        request = vpb.ListDispatchRequest(market_day=day)
        reply = park.until_acknowledged(
            "ListDispatch",
            lambda r=request: park.clients.vpp.ListDispatch(r, timeout=CALL_TIMEOUT_S),
            forever=True,
        )
        if reply.revision == 0:
            found.loss("dispatch", 1, f"{day} cleared, never dispatched")
            continue
        if reply.revision != 1 or any(i.revision != 1 for i in reply.instructions):
            found.divergence("dispatch", 1, f"{day}: revision {reply.revision}, expected 1")
        planned: dict[int, float] = defaultdict(float)
        for instruction in reply.instructions:
            planned[instruction.interval] += instruction.reduction_kw
        for row in reply.shortfall:
            planned[row.interval] += row.shortfall_kw
        awarded = vpp_awards_kw(result, vpp_id)
        off = [
            t
            for t in sorted(set(planned) | set(awarded))
            if (
                abs(planned.get(t, 0.0) - awarded[t]) > KW_TOLERANCE
                if awarded.get(t, 0.0) > 0
                else planned.get(t, 0.0) > KW_TOLERANCE
            )
        ]
        if off:
            t = off[0]
            found.divergence(
                "dispatch",
                1,
                f"{day} interval {t}: setpoints + shortfall {planned.get(t, 0.0):.3f} kW, "
                f"awarded {awarded.get(t, 0.0):.3f} kW",
            )


def check_trades(park: Park, client: redis.Redis, found: Findings) -> None:
    """Each acknowledged trade readable as returned, no trade twice or unsent, balances equal
    to the trades, and the ledger's audit replay clean."""
    certificates = park.clients.certificates
    esco = park.as_("esco")
    for trade_id, trade in sorted(park.acks.trades.items()):
        found.acknowledged["trades"] += 1
        request = cpb.GetGreenTradeRequest(trade_id=trade_id)
        got = _get(
            park,
            "GetGreenTrade",
            lambda r=request: certificates.GetGreenTrade(r, metadata=esco, timeout=CALL_TIMEOUT_S),
        )
        if got is None:
            found.loss("trades", 1, f"{trade_id} ({trade.energy_wh} Wh) not found")
        elif _trade_fields(got) != _trade_fields(trade):
            found.divergence(
                "trades", 1, f"{trade_id}: {_trade_fields(got)} != {_trade_fields(trade)}"
            )
    listed = _all_trades(park, esco)
    ids = Counter(t.trade_id for t in listed)
    twice = sorted(i for i, n in ids.items() if n > 1)
    found.divergence("trades", len(twice), f"listed more than once: {twice[:5]}")
    unsent = sorted(set(ids) - set(park.acks.sent_trades))
    found.divergence("trades", len(unsent), f"listed, never sent: {unsent[:5]}")
    bought: Counter[str] = Counter()
    # Proposals and acceptances list too; only settled trades moved certificates.
    for trade in (t for t in listed if t.state == cpb.GREEN_TRADE_STATE_SETTLED):
        sent = park.acks.sent_trades.get(trade.trade_id)
        if sent is not None and (sent.energy_wh, sent.buyer_enterprise_id) != (
            trade.energy_wh,
            trade.buyer_enterprise_id,
        ):
            found.divergence("trades", 1, f"{trade.trade_id} settled other than sent")
        bought[trade.buyer_enterprise_id] += trade.energy_wh
    for buyer in ("chaos-a", "chaos-b"):
        request = cpb.GetBalanceRequest(enterprise_id=buyer)
        balance = park.until_acknowledged(
            "GetBalance",
            lambda r=request: certificates.GetBalance(r, timeout=CALL_TIMEOUT_S),
            forever=True,
        )
        if balance.active_wh != bought[buyer]:
            found.divergence(
                "ledger", 1, f"{buyer} holds {balance.active_wh} Wh, bought {bought[buyer]} Wh"
            )
    report = CertificateLedger(client).verify()
    found.acknowledged["ledger"] = report.entries
    if not report.ok:
        found.divergence("ledger", 1, f"verify: {report.first_problem() or report.reason}")


def _trade_fields(trade: cpb.GreenTrade) -> tuple[object, ...]:
    return (
        cpb.GreenTradeState.Name(trade.state),
        trade.seller_enterprise_id,
        trade.buyer_enterprise_id,
        trade.source_lot_id,
        trade.bought.lot_id,
        trade.energy_wh,
        trade.amount_fen,
    )


def _all_trades(park: Park, esco) -> list[cpb.GreenTrade]:
    trades: list[cpb.GreenTrade] = []
    token = ""
    while True:
        request = cpb.ListGreenTradesRequest(
            enterprise_id=PV_OWNER, page_size=500, page_token=token
        )
        page = park.until_acknowledged(
            "ListGreenTrades",
            lambda r=request: park.clients.certificates.ListGreenTrades(
                r, metadata=esco, timeout=CALL_TIMEOUT_S
            ),
            forever=True,
        )
        trades.extend(page.trades)
        token = page.next_page_token
        if not token:
            return trades


def check_outbox(client: redis.Redis, found: Findings) -> None:
    """Every outbox event published, none left retained (unapplied) or set aside."""
    pending, retained, unusable = outbox_backlog(client)
    found.divergence("outbox", pending, f"{pending} events never published")
    found.divergence("outbox", retained, f"{retained} published events never applied")
    found.divergence("outbox", unusable, f"{unusable} events set aside as unusable")


def verdict(park: Park, client: redis.Redis) -> Findings:
    """Every check, in the order of KINDS."""
    found = Findings()
    check_readings(park, client, found)
    check_enrolments(park, found)
    check_dispatch(park, found)
    check_trades(park, client, found)
    check_outbox(client, found)
    return found
