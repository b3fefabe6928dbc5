from django.urls import path

from wenyuan.service import staffviews, views

app_name = "service"

urlpatterns = [
    path("service/", views.ticket_list, name="tickets"),
    path("service/tickets/", views.ticket_list),
    path("service/tickets/new", views.ticket_new, name="ticket_new"),
    path("service/tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("service/tickets/<int:pk>/close", views.ticket_close, name="ticket_close"),
    path("service/tickets/<int:pk>/rating", views.ticket_rate, name="ticket_rate"),
    path("service/attachments/<int:pk>", views.attachment, name="attachment"),
    path("staff/", staffviews.queue_page, name="staff_queue"),
    path("staff/act", staffviews.queue_act, name="staff_act"),
    path("staff/dashboard/", staffviews.dashboard, name="staff_dashboard"),
    path("staff/tickets/<int:pk>/", views.staff_ticket, name="staff_ticket"),
    path("staff/tickets/<int:pk>/assign", views.staff_ticket_assign, name="staff_ticket_assign"),
]
