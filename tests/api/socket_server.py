"""A reference SIS worker for the two-process live-update test.

Usage: python socket_server.py DATABASE_URL REDIS_URL PORT
"""

import sys

from demo_sis import create_app

database_url, redis_url, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "two-workers",
                  "SIS_APPOINTMENTS_REDIS_URL": redis_url})
app.extensions["sis_appointments"].socketio.run(app, host="127.0.0.1", port=port,
                                                allow_unsafe_werkzeug=True,
                                                use_reloader=False, log_output=False)
