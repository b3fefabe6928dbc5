from django.urls import path

from wenyuan.commerce.payments import views

app_name = "payments"

urlpatterns = [
    path("me/wallet/topup/", views.topup, name="topup"),
    path("me/wallet/topups/<str:number>/", views.topup_order, name="order"),
    path("me/wallet/topups/<str:number>/query/", views.topup_order_query, name="order_query"),
    path("pay/test/<str:number>/", views.testpay_page, name="testpay"),
]
