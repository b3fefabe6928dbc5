"""The operator's money rules, read through one accessor.

``money_rules()`` is the only place the code reads prices limits, revenue shares, the
referral window, the withdrawal minimum, the rewards and the VIP plans.  They are runtime
settings (``wenyuan/config.py``, ``runtime=True``): staff may change them on
/staff/settings/, and each is read through ``core.sitesettings.setting_value``.  It lives in ``core`` because the
library's upload checks prices too, and ``library`` may not import ``commerce``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .sitesettings import setting_default, setting_value


@dataclass(frozen=True)
class Reward:
    points: int  # 0: this reward is off
    daily_cap: int  # the most points it pays in a day (per user; site-wide for registering)
    streak: int = 0  # sign-in only: extra points per consecutive day after the first


@dataclass(frozen=True)
class VipPlan:
    code: str
    days: int
    price: int  # points


@dataclass(frozen=True)
class MoneyRules:
    price_min: int  # lowest price of a paid document (0 is free and always allowed)
    price_max: int
    free_pages_max: int
    author_share: int  # percent of the price
    referral_share: int  # percent of the price, out of the platform's part
    referral_days: int
    withdraw_min: int
    register: Reward
    signin: Reward
    upload: Reward
    vip_plans: tuple[VipPlan, ...] = ()
    vip_monthly_downloads: int = 0

    def vip_plan(self, code: str) -> VipPlan | None:
        return next((plan for plan in self.vip_plans if plan.code == code), None)


def money_rules(*, environment: bool = False) -> MoneyRules:
    """The rules in force now; ``environment=True``: the environment's defaults, read
    without the database (for what is fixed at import, such as the API schema)."""
    get = setting_default if environment else setting_value
    return MoneyRules(
        price_min=get("WENYUAN_PRICE_MIN"),
        price_max=get("WENYUAN_PRICE_MAX"),
        free_pages_max=get("WENYUAN_FREE_PAGES_MAX"),
        author_share=get("WENYUAN_AUTHOR_SHARE"),
        referral_share=get("WENYUAN_REFERRAL_SHARE"),
        referral_days=get("WENYUAN_REFERRAL_DAYS"),
        withdraw_min=get("WENYUAN_WITHDRAW_MIN"),
        register=Reward(
            points=get("WENYUAN_REWARD_REGISTER"),
            daily_cap=get("WENYUAN_REWARD_REGISTER_DAILY_CAP"),
        ),
        signin=Reward(
            points=get("WENYUAN_REWARD_SIGNIN"),
            daily_cap=get("WENYUAN_REWARD_SIGNIN_DAILY_CAP"),
            streak=get("WENYUAN_REWARD_SIGNIN_STREAK"),
        ),
        upload=Reward(
            points=get("WENYUAN_REWARD_UPLOAD"),
            daily_cap=get("WENYUAN_REWARD_UPLOAD_DAILY_CAP"),
        ),
        vip_plans=tuple(VipPlan(*plan) for plan in get("WENYUAN_VIP_PLANS")),
        vip_monthly_downloads=get("WENYUAN_VIP_MONTHLY_DOWNLOADS"),
    )
