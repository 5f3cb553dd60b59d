"""Which role may call which RPC, and which request fields tie a call to one enterprise.

The table is the single source: the server interceptor enforces it, the README's
permission table is rendered from it (`python -m services.runtime.permissions`), and the
test matrix walks it for every RPC x every role.

Denials:
- no token, or a forged or expired one: UNAUTHENTICATED;
- a role the RPC does not allow: PERMISSION_DENIED (says nothing about the request);
- an enterprise addressing another enterprise's things (a scoped field naming another
  enterprise, or an asset of another enterprise): NOT_FOUND, worded exactly as for an
  id that does not exist, so nothing leaks about other tenants.
An enterprise leaving a scoped enterprise field empty addresses its own.
"""

from __future__ import annotations

from dataclasses import dataclass

OP, ENT, ESCO, REG, MON = "operator", "enterprise", "esco", "registry", "monitor"


@dataclass(frozen=True)
class Rule:
    """Roles allowed; request fields naming an enterprise or an asset that must be the caller's.

    `rate` names the per-tenant rate limit the RPC counts against ("write", "ingest") or "".
    """

    roles: frozenset[str]
    enterprise_fields: tuple[str, ...] = ()
    asset_fields: tuple[str, ...] = ()
    rate: str = ""


def _rule(*roles: str, enterprise=(), asset=(), rate="") -> Rule:
    return Rule(frozenset(roles), tuple(enterprise), tuple(asset), rate)


_P = "parkvpp.v1."
PERMISSIONS: dict[str, Rule] = {
    f"/{_P}EnrollmentService/RegisterEnterprise": _rule(OP, rate="write"),
    f"/{_P}EnrollmentService/GetEnterprise": _rule(
        OP, ENT, ESCO, MON, enterprise=["enterprise_id"]
    ),
    f"/{_P}EnrollmentService/EnrollAsset": _rule(
        OP, ENT, enterprise=["enterprise_id"], rate="write"
    ),
    f"/{_P}EnrollmentService/UpdateAsset": _rule(OP, ENT, asset=["asset_id"], rate="write"),
    f"/{_P}EnrollmentService/WithdrawAsset": _rule(OP, ENT, asset=["asset_id"], rate="write"),
    f"/{_P}EnrollmentService/ApproveAsset": _rule(OP, rate="write"),
    f"/{_P}EnrollmentService/GetAsset": _rule(OP, ENT, ESCO, REG, MON, asset=["asset_id"]),
    f"/{_P}EnrollmentService/ListAssets": _rule(OP, ENT, ESCO, MON, enterprise=["enterprise_id"]),
    f"/{_P}EnrollmentService/GetAssetHistory": _rule(OP, ENT, ESCO, asset=["asset_id"]),
    # Readings of another enterprise's meters are refused one by one ("unknown_asset").
    f"/{_P}TelemetryService/StreamReadings": _rule(OP, ENT, rate="ingest"),
    f"/{_P}TelemetryService/GetLoadProfile": _rule(
        OP, ENT, ESCO, MON, enterprise=["enterprise_id"], asset=["asset_id"]
    ),
    f"/{_P}VppService/GetFlexibility": _rule(OP, ENT, MON, enterprise=["enterprise_id"]),
    f"/{_P}VppService/GetBaseline": _rule(
        OP, ENT, ESCO, enterprise=["enterprise_id"], asset=["asset_id"]
    ),
    f"/{_P}VppService/SubscribeDispatch": _rule(OP, ENT, enterprise=["enterprise_id"]),
    f"/{_P}VppService/AcknowledgeDispatch": _rule(
        OP, ENT, enterprise=["enterprise_id"], rate="write"
    ),
    f"/{_P}VppService/ListDispatch": _rule(OP, ENT, MON, enterprise=["enterprise_id"]),
    f"/{_P}VppService/GetForecastAccuracy": _rule(
        OP, ENT, ESCO, enterprise=["enterprise_id"], asset=["asset_id"]
    ),
    f"/{_P}VppService/ReportAssetUnavailable": _rule(OP, ENT, asset=["asset_id"], rate="write"),
    f"/{_P}VppService/CheckDispatchFollowing": _rule(OP, rate="write"),
    f"/{_P}BiddingService/PrepareBids": _rule(OP, rate="write"),
    f"/{_P}BiddingService/GetBidPlan": _rule(OP, MON),
    f"/{_P}BiddingService/SubmitBids": _rule(OP, rate="write"),
    f"/{_P}BiddingService/ScheduleProduction": _rule(OP, rate="write"),
    f"/{_P}MarketService/SubmitOrders": _rule(OP, rate="write"),
    f"/{_P}MarketService/ClearMarket": _rule(OP, rate="write"),
    f"/{_P}MarketService/GetClearingResult": _rule(OP, ENT, ESCO, MON),
    # The grid operator of the reference exchange is the operator role; its invitations
    # are market data every participant may read.
    f"/{_P}MarketService/AnnounceDrEvent": _rule(OP, rate="write"),
    f"/{_P}MarketService/ListDrEvents": _rule(OP, ENT, ESCO, MON),
    f"/{_P}SettlementService/RunSettlement": _rule(OP, ESCO, rate="write"),
    f"/{_P}SettlementService/GetStatement": _rule(OP, ENT, ESCO, enterprise=["enterprise_id"]),
    # Corrections of settled days are the ESCO's alone (a new version with a reason).
    f"/{_P}SettlementService/CorrectSettlement": _rule(ESCO, rate="write"),
    # Plan versus outcome of a settled day: the VPP's whole position, not for enterprises.
    f"/{_P}SettlementService/GetDayReport": _rule(OP, ESCO, MON),
    f"/{_P}CertificateService/IssueCertificates": _rule(REG, rate="write"),
    f"/{_P}CertificateService/Transfer": _rule(
        ENT, enterprise=["from_enterprise_id"], rate="write"
    ),
    f"/{_P}CertificateService/Retire": _rule(ENT, enterprise=["owner_enterprise_id"], rate="write"),
    f"/{_P}CertificateService/GetBalance": _rule(
        OP, ENT, ESCO, REG, MON, enterprise=["enterprise_id"]
    ),
    f"/{_P}CertificateService/ListLots": _rule(
        OP, ENT, ESCO, REG, enterprise=["owner_enterprise_id"]
    ),
    f"/{_P}CertificateService/GetCarbonFootprint": _rule(
        OP, ENT, ESCO, enterprise=["enterprise_id"]
    ),
    f"/{_P}CertificateService/GetParkIndicators": _rule(OP, ESCO, REG, MON),
    f"/{_P}CertificateService/GetGreenTarget": _rule(OP, ENT, ESCO, enterprise=["enterprise_id"]),
    # Two-party trades: the seller proposes, the buyer accepts or rejects with its own
    # token, the ESCO (or the seller) settles what the buyer agreed to.
    f"/{_P}CertificateService/ProposeGreenTrade": _rule(
        ENT, enterprise=["seller_enterprise_id"], rate="write"
    ),
    f"/{_P}CertificateService/AcceptGreenTrade": _rule(
        ENT, enterprise=["buyer_enterprise_id"], rate="write"
    ),
    f"/{_P}CertificateService/RejectGreenTrade": _rule(
        ENT, enterprise=["buyer_enterprise_id"], rate="write"
    ),
    f"/{_P}CertificateService/SettleGreenTrade": _rule(
        ENT, ESCO, enterprise=["seller_enterprise_id"], rate="write"
    ),
    # Green-power contracts: the seller proposes, the buyer accepts or rejects with its own
    # token, the ESCO (or the seller) delivers each month; both parties read them.
    f"/{_P}CertificateService/ProposeGreenContract": _rule(
        ENT, enterprise=["seller_enterprise_id"], rate="write"
    ),
    f"/{_P}CertificateService/AcceptGreenContract": _rule(
        ENT, enterprise=["buyer_enterprise_id"], rate="write"
    ),
    f"/{_P}CertificateService/RejectGreenContract": _rule(
        ENT, enterprise=["buyer_enterprise_id"], rate="write"
    ),
    f"/{_P}CertificateService/DeliverGreenContractMonth": _rule(
        ENT, ESCO, enterprise=["seller_enterprise_id"], rate="write"
    ),
    f"/{_P}CertificateService/GetGreenContract": _rule(OP, ENT, ESCO, enterprise=["enterprise_id"]),
    f"/{_P}CertificateService/ListGreenContracts": _rule(
        OP, ENT, ESCO, enterprise=["enterprise_id"]
    ),
    f"/{_P}CertificateService/GrantMandate": _rule(
        ENT, enterprise=["grantor_enterprise_id"], rate="write"
    ),
    f"/{_P}CertificateService/RevokeMandate": _rule(
        ENT, enterprise=["grantor_enterprise_id"], rate="write"
    ),
    f"/{_P}CertificateService/ListMandates": _rule(OP, ENT, ESCO, enterprise=["enterprise_id"]),
    f"/{_P}CertificateService/ListRetirements": _rule(
        OP, ENT, ESCO, enterprise=["beneficiary_enterprise_id"]
    ),
    f"/{_P}CertificateService/GetGreenTrade": _rule(OP, ENT, ESCO, enterprise=["enterprise_id"]),
    f"/{_P}CertificateService/ListGreenTrades": _rule(OP, ENT, ESCO, enterprise=["enterprise_id"]),
    f"/{_P}CertificateService/GetMonthlyGec": _rule(
        OP, ENT, ESCO, REG, MON, enterprise=["enterprise_id"]
    ),
    f"/{_P}CertificateService/ReportFuelUse": _rule(
        OP, ENT, ESCO, enterprise=["enterprise_id"], rate="write"
    ),
    f"/{_P}CertificateService/ListFuelUse": _rule(OP, ENT, ESCO, enterprise=["enterprise_id"]),
    f"/{_P}CertificateService/GetProductFootprint": _rule(
        OP, ENT, ESCO, enterprise=["enterprise_id"]
    ),
}

#: Served without a token: gRPC health checking and server reflection (no tenant data).
OPEN_PREFIXES = ("/grpc.health.", "/grpc.reflection.")


def markdown_table() -> str:
    """The README's permission table: one row per RPC, one column per role."""
    roles = (OP, ENT, ESCO, REG, MON)
    lines = [
        "| RPC | " + " | ".join(roles) + " | scoped to the enterprise by |",
        "|---|" + "---|" * len(roles) + "---|",
    ]
    for method, rule in PERMISSIONS.items():
        name = method.removeprefix(f"/{_P}")
        marks = ["yes" if role in rule.roles else "" for role in roles]
        if ENT in rule.roles and rule.enterprise_fields + rule.asset_fields:
            marks[1] = "own"
        scope = ", ".join(f"`{f}`" for f in (*rule.enterprise_fields, *rule.asset_fields))
        lines.append(f"| `{name}` | " + " | ".join(marks) + f" | {scope} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
