"""Signals other apps listen to (connected in their ``AppConfig.ready()``)."""

from django.dispatch import Signal

# A person created their own account (the register page or POST /api/auth/register), sent
# once the account is committed: sender=User, user.  Accounts made by staff or the shell
# (``wenyuan user create``) do not send it.
user_registered = Signal()
