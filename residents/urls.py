from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views
from .forms import PasswordChangeForm, PhoneLoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=PhoneLoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/", views.profile, name="profile"),
    path(
        "me/password/",
        auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm, success_url=reverse_lazy("password_change_done")),
        name="password_change",
    ),
    path("me/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
