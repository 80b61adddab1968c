"""The job handlers end to end. Unless a module says otherwise, every test here runs against a
real receiver, real Redis, a real Celery worker, the fake GitHub and the scripted model server;
the `calc` repository they share, and the delivery of a webhook on it, live in `calc_repo.py`.
"""
