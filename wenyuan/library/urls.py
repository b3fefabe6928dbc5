from django.urls import path

from wenyuan.library import views

app_name = "library"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.newest, name="newest"),
    path("search/", views.search, name="search"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("tag/<str:word>/", views.keyword, name="keyword"),
    path("upload/", views.upload, name="upload"),
    path("me/uploads/", views.my_uploads, name="my_uploads"),
    path("me/favorites/", views.my_favorites, name="my_favorites"),
    path("d/<int:pk>/", views.document_detail, name="document"),
    path("d/<int:pk>/pages/", views.document_pages, name="pages"),
    path("d/<int:pk>/status/", views.document_status, name="status"),
    path("d/<int:pk>/cover.webp", views.cover_legacy, name="cover"),
    path("d/<int:pk>/cover/<str:token>.webp", views.cover_page, name="cover_page"),
    path("d/<int:pk>/cover/<str:token>.svg", views.cover_generated, name="cover_generated"),
    path(
        "d/<int:pk>/p/<int:number>/<str:size>/<str:token>.webp",
        views.page_image,
        name="page_image",
    ),
    path("d/<int:pk>/download/", views.download, name="download"),
    path(
        "d/<int:pk>/file/<int:user_id>/<int:expires>/<str:token>/",
        views.download_file,
        name="download_file",
    ),
    path("d/<int:pk>/edit/", views.document_edit, name="edit"),
    path("d/<int:pk>/favorite/", views.favorite_toggle, name="favorite"),
    path("d/<int:pk>/retry/", views.retry, name="retry"),
]
