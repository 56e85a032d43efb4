"""NuGet and Composer orders, checked on the documented rules of each (NuGet.Versioning's
precedence, PHP's version_compare after Composer's normalisation). Real GHSA records with
NuGet and Packagist `versions` lists check them further in tests/match/test_ranges.py."""

from __future__ import annotations

import pytest

from hullcheck.errors import InvalidVersion
from hullcheck.versions import nuget, packagist


def _sorted(mod, vs):
    return sorted(vs, key=mod.parse)


def test_nuget_precedence():
    assert nuget.parse("1.0") == nuget.parse("1.0.0.0") == nuget.parse("1.00.0")
    assert nuget.parse("1.0.0-RC1") == nuget.parse("1.0.0-rc1")  # labels ignore case
    assert nuget.parse("1.0.0+meta") == nuget.parse("1.0.0")
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2",
             "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.0.1", "1.0.1"]
    assert _sorted(nuget, list(reversed(order))) == order


def test_packagist_version_compare():
    # PHP: dev < alpha = a < beta = b < RC = rc < (release) < pl = p
    order = ["1.0.0-dev", "1.0.0-alpha1", "1.0.0-beta2", "1.0.0-RC1", "1.0.0", "1.0.0-p1",
             "1.0.1"]
    assert _sorted(packagist, list(reversed(order))) == order
    assert packagist.parse("v1.2") == packagist.parse("1.2.0.0")
    assert packagist.parse("1.0.0-stable") == packagist.parse("1.0.0")
    assert packagist.parse("1.0.0a1") == packagist.parse("1.0.0-alpha1")
    # PHP's own version_compare without Composer's padding: "1.0" < "1.0.0"
    assert packagist.php_key("1.0") < packagist.php_key("1.0.0")


@pytest.mark.parametrize("bad", ["dev-main", "", "x1.0", "1.2.3.4.5"])
def test_packagist_refuses_branches(bad):
    with pytest.raises(InvalidVersion):
        packagist.parse(bad)


@pytest.mark.parametrize("bad", ["", "1.2.3.4.5", "1.0-", "abc"])
def test_nuget_refuses(bad):
    with pytest.raises(InvalidVersion):
        nuget.parse(bad)
