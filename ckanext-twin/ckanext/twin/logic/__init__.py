"""Operations on CKAN's data, done through the action API only."""
