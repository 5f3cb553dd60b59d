"""Product footprints: an enterprise's emissions and certificate claim split over its lines.

Why this shape: a buyer of castings asks for the castings' footprint, and the lines must
add up to the enterprise's reported totals to the gram. Every split goes through the one
largest-remainder implementation (settlement.money via carbon.product_footprint).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from certificates.carbon import Footprint, product_footprint
from certificates.exceptions import InvalidInput
from certificates.factors import FUELS, Fuel, check_factor


@dataclass(frozen=True)
class EnterpriseEmissions:
    """An enterprise's emissions over a period in integer grams CO2e.

    location/market = Scope 2 electricity (location- or market-based) + fuels' CO2;
    claimed_certificate_wh = the certificate Wh that lowered the market-based figure."""

    location_based_g_co2e: int
    market_based_g_co2e: int
    fuel_g_co2e: int
    claimed_certificate_wh: int


@dataclass(frozen=True)
class ProductLineShare:
    """One product line's part of the enterprise's emissions and certificate claim."""

    product_line: str
    output_quantity: int
    location_based_g_co2e: int
    market_based_g_co2e: int
    claimed_certificate_wh: int


def fuel_kg_co2(amounts: Mapping[str, float], fuels: Mapping[str, Fuel] = FUELS) -> float:
    """CO2 of burning `amounts` (each in its fuel's unit); InvalidInput on an unknown fuel
    or a negative or non-finite amount."""
    total = 0.0
    for name, amount in amounts.items():
        if name not in fuels:
            raise InvalidInput(f"fuels[{name}]", f"unknown fuel; known: {sorted(fuels)}")
        total += check_factor(amount, f"fuels[{name}]") * fuels[name].kg_co2_per_unit
    return total


def enterprise_emissions(footprint: Footprint, fuel_kg: float) -> EnterpriseEmissions:
    """Scope 2 (integer grams from carbon_footprint) + fuels rounded half up to the gram
    once, so the product split starts from the same integers the enterprise is told."""
    fuel_g = _grams(check_factor(fuel_kg, "fuel_kg"))
    return EnterpriseEmissions(
        location_based_g_co2e=footprint.location_based_g_co2e + fuel_g,
        market_based_g_co2e=footprint.market_based_g_co2e + fuel_g,
        fuel_g_co2e=fuel_g,
        claimed_certificate_wh=footprint.claimed_certificate_wh,
    )


def _grams(kg: float) -> int:
    return int(kg * 1000 + 0.5)


def split_by_output(
    emissions: EnterpriseEmissions, output_by_line: Mapping[str, int]
) -> list[ProductLineShare]:
    """Each line's location-based and market-based grams and claimed certificate Wh, in
    proportion to its output (largest remainder: each column sums exactly to the
    enterprise's figure). The claimed certificate Wh are split once, so no certificate
    backs two lines, and the market-based reduction follows them. Lines sorted by name.
    Raises InvalidInput (field "outputs") on no lines, or on no positive output while
    there is something to allocate; per line as in product_footprint."""
    if not output_by_line:
        raise InvalidInput("outputs", "needs at least one product line")
    location = product_footprint(emissions.location_based_g_co2e, output_by_line)
    market = product_footprint(emissions.market_based_g_co2e, output_by_line)
    claimed = product_footprint(emissions.claimed_certificate_wh, output_by_line)
    return [
        ProductLineShare(line, output_by_line[line], location[line], market[line], claimed[line])
        for line in sorted(output_by_line)
    ]
