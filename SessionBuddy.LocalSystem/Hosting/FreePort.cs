using System.Net;
using System.Net.Sockets;

namespace SessionBuddy.LocalSystem.Hosting;

public static class FreePort
{
    /// <summary>A loopback port nothing listens on right now (the OS picks it).</summary>
    public static int Allocate()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<bool> AcceptsConnectionsAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
