"""User models shaped like NetBox 4.0 to 4.4: User(AbstractUser), so is_staff exists."""
