from decimal import Decimal

import pytest

from invoices.vat import Split, split_gross


@pytest.mark.parametrize(
    ("gross", "rate", "expected"),
    [
        (4900, "19.00", Split(net=4118, vat=782, gross=4900)),  # 4117.647… rounds up
        (100, "19.00", Split(net=84, vat=16, gross=100)),  # 84.033… rounds down
        (1000, "7.00", Split(net=935, vat=65, gross=1000)),  # 934.579…
        (5, "100.00", Split(net=3, vat=2, gross=5)),  # exactly 2.5: half-up, not to even
        (-5, "100.00", Split(net=-3, vat=-2, gross=-5)),  # credit notes mirror invoices
        (-4900, "19.00", Split(net=-4118, vat=-782, gross=-4900)),
        (4900, "0.00", Split(net=4900, vat=0, gross=4900)),  # small business: no VAT
        (0, "19.00", Split(net=0, vat=0, gross=0)),
    ],
)
def test_net_is_gross_over_rate_rounded_half_up_and_vat_is_the_rest(gross, rate, expected):
    assert split_gross(gross=gross, rate=Decimal(rate)) == expected


def test_negative_rate_is_refused():
    with pytest.raises(ValueError, match="negative"):
        split_gross(gross=100, rate=Decimal("-1"))
