"""The web server of the e2e NetBox: NetBox's own WSGI application, run by gunicorn (which the netbox
package depends on), with /static/ served from NetBox's static files.

Stands in for the NetBox container image's nginx unit, which serves /static/ itself and hands every other
request to the same netbox.wsgi application.
"""
from django.contrib.staticfiles.handlers import StaticFilesHandler

from netbox.wsgi import application as netbox_application

application = StaticFilesHandler(netbox_application)
