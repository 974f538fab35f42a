using System.Runtime.InteropServices;

namespace SessionBuddy.Sessions.Workspaces;

/// <summary>
/// lstat and realpath, which .NET does not expose: the file type (to refuse devices, FIFOs and
/// sockets without opening them, since opening a FIFO blocks) and the fully resolved path.
/// </summary>
internal static class NativeFiles
{
    public enum EntryType { Missing, File, Directory, Symlink, Other }

    private const int TypeMask = 0xF000;

    public static EntryType LStat(string path)
    {
        // SystemNative_LStat fills the runtime's own FileStatus struct, the same on every platform:
        // int32 Flags, int32 Mode, ... (dotnet/runtime src/native/libs/System.Native/pal_io.h).
        var status = new byte[256];
        if (SystemNativeLStat(path, status) != 0)
        {
            return EntryType.Missing;
        }
        return (BitConverter.ToInt32(status, 4) & TypeMask) switch
        {
            0x8000 => EntryType.File,
            0x4000 => EntryType.Directory,
            0xA000 => EntryType.Symlink,
            _ => EntryType.Other,
        };
    }

    public static string Describe(string path) => LStat(path) switch
    {
        EntryType.Other => "a device, FIFO or socket",
        var t => t.ToString().ToLowerInvariant(),
    };

    /// <summary>The canonical path with every symlink resolved, or null when it does not exist (or a link dangles).</summary>
    public static string? RealPath(string path)
    {
        var resolved = LibcRealPath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            LibcFree(resolved);
        }
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int SystemNativeLStat(string path, [Out] byte[] status);

    [DllImport("libc", EntryPoint = "realpath", CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern IntPtr LibcRealPath(string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void LibcFree(IntPtr pointer);
}
