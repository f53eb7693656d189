"""Stand-in for NetBox's own ``netbox`` package, for the tests only.

Inside NetBox the login module lives at netbox/netbox_sso/ and is imported as
``netbox.netbox_sso``. Adding the directory that holds netbox_sso/ to this
package's search path gives the tests that same import name, so the pipeline
and backends netbox-sso writes into the settings resolve here as in NetBox,
and the package's relative imports are exercised under both names.
"""

import os

__path__.append(os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
