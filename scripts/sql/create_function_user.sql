-- The function app's user-assigned identity as a user of the dedicated SQL pool, with what the
-- loader needs: COPY INTO (ADMINISTER DATABASE BULK OPERATIONS + INSERT), reads for dedup and
-- reports, and DDL for staging tables. Run by scripts/postprovision.sh as the Entra admin:
--   sqlcmd -S <workspace>.sql.azuresynapse.net -d <pool> --authentication-method ActiveDirectoryDefault \
--          -v FUNCTION_IDENTITY_NAME=<identity name> -i scripts/sql/create_function_user.sql
-- Idempotent: safe to run after every `azd provision`.
IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'$(FUNCTION_IDENTITY_NAME)')
    CREATE USER [$(FUNCTION_IDENTITY_NAME)] FROM EXTERNAL PROVIDER;
GO
GRANT ADMINISTER DATABASE BULK OPERATIONS TO [$(FUNCTION_IDENTITY_NAME)];
GO
-- sp_addrolemember, as in the Synapse loading tutorials; adding an existing member is a no-op.
EXEC sp_addrolemember 'db_datareader', '$(FUNCTION_IDENTITY_NAME)';
EXEC sp_addrolemember 'db_datawriter', '$(FUNCTION_IDENTITY_NAME)';
EXEC sp_addrolemember 'db_ddladmin', '$(FUNCTION_IDENTITY_NAME)';
GO
