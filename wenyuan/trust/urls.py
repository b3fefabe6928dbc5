from django.urls import path

from . import views

app_name = "trust"

urlpatterns = [
    path("d/<int:pk>/complain/", views.complaint_create, name="complain"),
    path("me/complaints/", views.my_complaints, name="my_complaints"),
    path("me/notifications/", views.notifications, name="notifications"),
    path("notices/<int:notice_id>/counter/", views.counter_create, name="counter"),
    path("copyright/notice/", views.notice_new, name="notice_new"),
    path("staff/trust/", views.staff_queue, name="staff_queue"),
    path(
        "staff/trust/complaints/<int:complaint_id>/", views.staff_complaint, name="staff_complaint"
    ),
    path("staff/trust/notices/<int:notice_id>/", views.staff_notice, name="staff_notice"),
    path("staff/trust/sanctions/", views.staff_sanctions, name="staff_sanctions"),
]
