from django.urls import path

from wenyuan.commerce import views

app_name = "commerce"

urlpatterns = [
    path("s/<str:code>/", views.share_visit, name="share_visit"),
    path("d/<int:pk>/buy/", views.buy, name="buy"),
    path("d/<int:pk>/share/", views.share_panel, name="share"),
    path("d/<int:pk>/pricing/", views.pricing, name="pricing"),
    path("me/wallet/", views.wallet, name="wallet"),
    path("me/signin/", views.signin, name="signin"),
    path("me/purchases/", views.purchases, name="purchases"),
    path("me/purchases/<int:order_id>/", views.purchase_detail, name="purchase"),
    path("me/earnings/", views.earnings, name="earnings"),
    path("me/statement.csv", views.statement_csv, name="statement_csv"),
    path("me/shares/", views.shares, name="shares"),
    path("vip/", views.vip, name="vip"),
]
