"""Top-ups: payment providers, top-up orders and their notifications (docs/money.md).

The built-in providers register themselves when imported here, like any other would.
"""

from wenyuan.commerce.payments import alipay, testpay, wechat  # noqa: F401
