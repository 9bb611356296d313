from django.contrib import admin

from dashboard.views import install

install(admin.site)
