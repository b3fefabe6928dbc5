"""Commerce models, one module per area; each is imported here so Django finds it."""

from wenyuan.commerce.models.ledger import (  # noqa: F401
    MAY_GO_NEGATIVE,
    USER_KINDS,
    Account,
    AccountKind,
    AppendOnlyError,
    AppendOnlyModel,
    AppendOnlyQuerySet,
    Entry,
    LedgerTransaction,
)
from wenyuan.commerce.models.payments import TopupActor, TopupEvent, TopupOrder, TopupStatus  # noqa: F401
from wenyuan.commerce.models.purchases import IdempotentRequest, Purchase  # noqa: F401, E402
from wenyuan.commerce.models.referrals import ReferralClick, ShareLink  # noqa: F401, E402
from wenyuan.commerce.models.rewards import PointsGrant, RewardDay, SignIn  # noqa: F401, E402
from wenyuan.commerce.models.vip import (  # noqa: F401, E402
    VipDownload,
    VipMembership,
    VipOrder,
    VipSettlement,
    VipSettlementLine,
)
from wenyuan.commerce.models.withdrawals import Withdrawal  # noqa: F401, E402
