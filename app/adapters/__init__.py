"""Infrastructure behind the service ports: repositories, unit of work, audit, Excel, locks."""
