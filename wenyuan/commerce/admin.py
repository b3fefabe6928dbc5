"""Staff see every account's statement; nothing in the ledger can be edited or deleted.

Staff also refund purchases, decide withdrawals and grant points here; each of those
asks for a reason and goes through the same service as the API.  VIP memberships, orders,
members' downloads and monthly settlements (with each author's line) are read-only.
"""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from wenyuan.commerce import services
from wenyuan.commerce.errors import CommerceError
from wenyuan.commerce.models import (
    Account,
    Entry,
    LedgerTransaction,
    PointsGrant,
    Purchase,
    ShareLink,
    Withdrawal,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["id", "created_at", "transaction", "amount", "balance_after"]
    readonly_fields = fields
    ordering = ["-id"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "user", "balance", "created_at"]
    list_filter = ["kind"]
    search_fields = ["code", "user__username"]
    readonly_fields = ["code", "kind", "user", "allow_negative", "balance", "created_at"]
    inlines = [EntryInline]


class TransactionEntryInline(EntryInline):
    fields = ["id", "account", "amount", "balance_after"]
    readonly_fields = fields


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "created_at", "actor", "memo", "key"]
    list_filter = ["kind"]
    search_fields = ["key", "memo", "actor__username"]
    readonly_fields = ["kind", "created_at", "actor", "memo", "key", "reverses", "meta"]
    inlines = [TransactionEntryInline]


from wenyuan.commerce.payments import admin as payments_admin  # noqa: E402, F401  (top-up orders)


def with_reason(name, title, do):
    """An admin action that asks for a reason, then calls ``do(request, obj, reason)``."""

    def action(modeladmin, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if request.POST.get("confirm") != "yes" or not reason:
            return TemplateResponse(
                request,
                "admin/commerce/reason_action.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "title": title,
                    "queryset": queryset,
                    "action": request.POST.get("action"),
                    "opts": modeladmin.model._meta,
                },
            )
        for obj in queryset:
            try:
                do(request, obj, reason)
            except CommerceError as exc:
                modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
            else:
                modeladmin.message_user(request, f"{obj}: {title}", messages.SUCCESS)
        return None

    action.short_description = title
    action.__name__ = name
    return action


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = ["id", "buyer", "document", "price", "sharer", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["buyer__username", "document__title", "=id"]
    readonly_fields = [f.name for f in Purchase._meta.fields]
    actions = [
        with_reason(
            "refund",
            _("Refund the purchase"),
            lambda request, obj, reason: services.purchase_refund(
                purchase=obj, actor=request.user, reason=reason
            ),
        )
    ]

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.is_staff  # the list and its actions only


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "amount", "source", "payee", "status", "created_at", "decided_by"]
    list_filter = ["status", "source"]
    search_fields = ["user__username", "payee"]
    readonly_fields = [f.name for f in Withdrawal._meta.fields]
    actions = [
        with_reason(
            "approve_withdrawal",
            _("Approve: the money was paid out"),
            lambda request, obj, reason: services.withdrawal_decide(
                withdrawal=obj, actor=request.user, approve=True, reason=reason
            ),
        ),
        with_reason(
            "reject_withdrawal",
            _("Reject: return the points"),
            lambda request, obj, reason: services.withdrawal_decide(
                withdrawal=obj, actor=request.user, approve=False, reason=reason
            ),
        ),
    ]

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.is_staff


@admin.register(PointsGrant)
class PointsGrantAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "user",
        "amount",
        "reason",
        "status",
        "requested_by",
        "decided_by",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["user__username", "reason"]
    raw_id_fields = ["user"]
    fields = ["user", "amount", "reason"]
    actions = [
        with_reason(
            "approve_grant",
            _("Approve the grant (second staff member)"),
            lambda request, obj, reason: services.grant_decide(
                grant=obj, actor=request.user, approve=True, note=reason
            ),
        ),
        with_reason(
            "refuse_grant",
            _("Refuse the grant"),
            lambda request, obj, reason: services.grant_decide(
                grant=obj, actor=request.user, approve=False, note=reason
            ),
        ),
    ]

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.is_staff

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            made = services.grant_request(
                user=obj.user, amount=obj.amount, reason=obj.reason, requested_by=request.user
            )
        except CommerceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = made.pk
        obj.refresh_from_db()
        if made.status == PointsGrant.Status.PENDING:
            self.message_user(
                request,
                _("A grant to yourself waits for a second staff member's approval."),
                messages.WARNING,
            )


@admin.register(ShareLink)
class ShareLinkAdmin(ReadOnlyAdmin):
    list_display = ["code", "owner", "document", "clicks", "created_at"]
    search_fields = ["code", "owner__username", "document__title"]
    readonly_fields = ["code", "owner", "document", "clicks", "created_at"]
    exclude = ["owner_visitors"]


# --- VIP membership: read-only; plans are bought and pools settled through the services ---

from wenyuan.commerce.models import (  # noqa: E402
    VipDownload,
    VipMembership,
    VipOrder,
    VipSettlement,
    VipSettlementLine,
)


@admin.register(VipMembership)
class VipMembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "expires_at", "updated_at"]
    search_fields = ["user__username"]


@admin.register(VipOrder)
class VipOrderAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "plan", "days", "price", "month", "starts_at", "expires_at"]
    list_filter = ["plan", "month"]
    search_fields = ["user__username"]


@admin.register(VipDownload)
class VipDownloadAdmin(ReadOnlyAdmin):
    list_display = ["month", "user", "document", "author", "created_at"]
    list_filter = ["month"]
    search_fields = ["user__username", "author__username"]


class VipSettlementLineInline(admin.TabularInline):
    model = VipSettlementLine
    fields = ["author", "downloads", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(VipSettlement)
class VipSettlementAdmin(ReadOnlyAdmin):
    list_display = ["month", "pool", "authors_total", "platform", "downloads", "created_at"]
    readonly_fields = [
        "month",
        "pool",
        "authors_total",
        "platform",
        "downloads",
        "transaction",
        "created_at",
    ]
    inlines = [VipSettlementLineInline]
