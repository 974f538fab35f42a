using Npgsql;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>Direct reads of sessionsdb, to check what a tool call stored (or did not).</summary>
internal static class SessionsDb
{
    public static async Task<long> CountAsync(string sql, Guid? id = null)
    {
        await using var connection = new NpgsqlConnection(Suite.App.GetConnectionString("sessionsdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (id is not null)
        {
            command.Parameters.AddWithValue("id", id.Value);
        }
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public static async Task ExecuteAsync(string sql, Guid id)
    {
        await using var connection = new NpgsqlConnection(Suite.App.GetConnectionString("sessionsdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync();
    }
}
