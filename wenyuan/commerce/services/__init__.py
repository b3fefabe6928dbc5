"""Writes for commerce, one module per area, all built on ``ledger.ledger_post``."""

from wenyuan.commerce.services.grants import (  # noqa: F401
    MAX_GRANT,
    grant_decide,
    grant_request,
    points_grant,
)
from wenyuan.commerce.services.pricing import document_pricing_set  # noqa: F401
from wenyuan.commerce.services.purchases import (  # noqa: F401
    PurchaseResult,
    purchase_create,
    purchase_request,
)
from wenyuan.commerce.services.referrals import (  # noqa: F401
    referral_bind,
    referral_for_purchase,
    referral_visit,
    referrals_prune,
    share_link_get,
    visitor_hash,
    visitor_new,
)
from wenyuan.commerce.services.refunds import purchase_refund  # noqa: F401
from wenyuan.commerce.services.rewards import (  # noqa: F401
    reward_register,
    reward_safely,
    reward_signin,
    reward_upload,
)
from wenyuan.commerce.services.vip import (  # noqa: F401
    vip_download_claim,
    vip_membership_active,
    vip_rule,
    vip_settle,
    vip_settle_due,
    vip_subscribe,
    vip_subscribe_request,
)
from wenyuan.commerce.services.withdrawals import (  # noqa: F401
    withdrawal_decide,
    withdrawal_request,
)
