app_name = "cmdb"

urlpatterns = []
