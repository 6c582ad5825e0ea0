/*
 * cloudpos-wintest.exe: a small Win32 program that plays the host POS in the Wine tests
 * (.ci/wine). It is ours, built by mingw-w64 in the same run, so that a test can put a known
 * thing at a known place on the screen and see what CloudPOS did to it.
 *
 *   cloudpos-wintest amount X Y W H TEXT READY
 *       A borderless, topmost window at X,Y (W x H pixels, white) that draws TEXT in black
 *       with GDI, as a POS program draws its total. For the GDI capture + OCR read.
 *   cloudpos-wintest edit X Y W H TEXT READY
 *       The same window holding a read-only EDIT control that shows TEXT. For the
 *       UI Automation text read (the ValuePattern of an edit box).
 *   cloudpos-wintest keys X Y W H LOG READY
 *       A focused window that appends every key message it receives to LOG, one per line:
 *       "down 0xVK", "up 0xVK", "sysdown 0xVK", "sysup 0xVK", "char 0xCODE". For the
 *       SendInput test: CloudPOS presses a sequence, the test compares the log.
 *
 * Each mode writes the file READY (its content: the window handle) once the window is shown
 * (and, for `keys`, once it has the keyboard focus), and exits after 10 minutes at most, or
 * when its window is closed.
 *
 * Build: x86_64-w64-mingw32-gcc -O2 -municode -mwindows -o cloudpos-wintest.exe wintest.c
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#define MAX_LIFETIME_MS (10 * 60 * 1000)
#define EDIT_ID 100

enum mode { MODE_AMOUNT, MODE_EDIT, MODE_KEYS };

static enum mode g_mode;
static const wchar_t *g_text;
static const wchar_t *g_ready;
static FILE *g_log;
static HFONT g_font;
static BOOL g_ready_written;

static void write_ready(HWND hwnd)
{
    FILE *f;
    if (g_ready_written)
        return;
    f = _wfopen(g_ready, L"w");
    if (f) {
        fprintf(f, "%p\n", (void *)hwnd);
        fclose(f);
        g_ready_written = TRUE;
    }
}

static void log_key(const char *what, WPARAM code)
{
    if (!g_log)
        return;
    fprintf(g_log, "%s 0x%02X\n", what, (unsigned)code);
    fflush(g_log);
}

static LRESULT CALLBACK window_proc(HWND hwnd, UINT msg, WPARAM wparam, LPARAM lparam)
{
    switch (msg) {
    case WM_PAINT: {
        PAINTSTRUCT ps;
        RECT rc;
        HDC dc = BeginPaint(hwnd, &ps);
        GetClientRect(hwnd, &rc);
        FillRect(dc, &rc, (HBRUSH)GetStockObject(WHITE_BRUSH));
        if (g_mode == MODE_AMOUNT) {
            HFONT old = (HFONT)SelectObject(dc, g_font);
            SetTextColor(dc, RGB(0, 0, 0));
            SetBkMode(dc, TRANSPARENT);
            DrawTextW(dc, g_text, -1, &rc, DT_CENTER | DT_VCENTER | DT_SINGLELINE);
            SelectObject(dc, old);
        }
        EndPaint(hwnd, &ps);
        if (g_mode == MODE_AMOUNT)
            write_ready(hwnd);
        return 0;
    }
    case WM_CTLCOLORSTATIC:
        /* The read-only edit box: black on white, like the amount window. */
        SetTextColor((HDC)wparam, RGB(0, 0, 0));
        SetBkColor((HDC)wparam, RGB(255, 255, 255));
        return (LRESULT)GetStockObject(WHITE_BRUSH);
    case WM_KEYDOWN:
        log_key("down", wparam);
        return 0;
    case WM_KEYUP:
        log_key("up", wparam);
        return 0;
    case WM_SYSKEYDOWN:
        log_key("sysdown", wparam);
        return 0;
    case WM_SYSKEYUP:
        log_key("sysup", wparam);
        return 0;
    case WM_CHAR:
        log_key("char", wparam);
        return 0;
    case WM_SETFOCUS:
        if (g_mode == MODE_KEYS)
            write_ready(hwnd);
        return 0;
    case WM_TIMER:
        if (wparam == 2 && g_mode == MODE_KEYS && GetFocus() != hwnd) {
            /* Keep the focus: the test's keys must land here. */
            SetForegroundWindow(hwnd);
            SetFocus(hwnd);
        } else if (wparam == 1) {
            DestroyWindow(hwnd);
        }
        return 0;
    case WM_DESTROY:
        PostQuitMessage(0);
        return 0;
    default:
        return DefWindowProcW(hwnd, msg, wparam, lparam);
    }
}

static int usage(void)
{
    fwprintf(stderr, L"usage: cloudpos-wintest amount|edit X Y W H TEXT READY\n"
                     L"       cloudpos-wintest keys X Y W H LOG READY\n");
    return 2;
}

int wmain(int argc, wchar_t **argv)
{
    WNDCLASSW wc = {0};
    HWND hwnd;
    MSG msg;
    int x, y, w, h;
    HINSTANCE instance = GetModuleHandleW(NULL);

    if (argc != 8)
        return usage();
    if (!wcscmp(argv[1], L"amount"))
        g_mode = MODE_AMOUNT;
    else if (!wcscmp(argv[1], L"edit"))
        g_mode = MODE_EDIT;
    else if (!wcscmp(argv[1], L"keys"))
        g_mode = MODE_KEYS;
    else
        return usage();
    x = _wtoi(argv[2]);
    y = _wtoi(argv[3]);
    w = _wtoi(argv[4]);
    h = _wtoi(argv[5]);
    g_text = argv[6];
    g_ready = argv[7];
    if (w <= 0 || h <= 0)
        return usage();
    if (g_mode == MODE_KEYS) {
        g_log = _wfopen(argv[6], L"wb");
        if (!g_log) {
            fwprintf(stderr, L"cannot write %ls\n", argv[6]);
            return 1;
        }
    }

    /* Physical pixels: the test's rectangle is in screen pixels whatever the DPI. */
    SetProcessDPIAware();
    /* A plain sans-serif face at about 60 % of the window's height, as POS totals are. */
    g_font = CreateFontW(-(h * 6 / 10), 0, 0, 0, FW_BOLD, FALSE, FALSE, FALSE, DEFAULT_CHARSET,
                         OUT_TT_PRECIS, CLIP_DEFAULT_PRECIS, ANTIALIASED_QUALITY,
                         VARIABLE_PITCH | FF_SWISS, L"Arial");

    wc.lpfnWndProc = window_proc;
    wc.hInstance = instance;
    wc.hCursor = LoadCursorW(NULL, (LPCWSTR)IDC_ARROW);
    wc.hbrBackground = (HBRUSH)GetStockObject(WHITE_BRUSH);
    wc.lpszClassName = L"CloudPosWinTest";
    if (!RegisterClassW(&wc))
        return 1;
    hwnd = CreateWindowExW(WS_EX_TOPMOST, wc.lpszClassName, L"CloudPOS wintest", WS_POPUP, x,
                           y, w, h, NULL, NULL, instance, NULL);
    if (!hwnd)
        return 1;
    if (g_mode == MODE_EDIT) {
        HWND edit = CreateWindowExW(0, L"EDIT", g_text,
                                    WS_CHILD | WS_VISIBLE | ES_READONLY | ES_CENTER, 0,
                                    h / 4, w, h / 2, hwnd, (HMENU)(INT_PTR)EDIT_ID, instance,
                                    NULL);
        if (!edit)
            return 1;
        SendMessageW(edit, WM_SETFONT, (WPARAM)g_font, TRUE);
    }
    ShowWindow(hwnd, SW_SHOW);
    UpdateWindow(hwnd);
    SetForegroundWindow(hwnd);
    if (g_mode == MODE_KEYS) {
        SetFocus(hwnd);
        SetTimer(hwnd, 2, 200, NULL);
    }
    if (g_mode == MODE_EDIT)
        write_ready(hwnd);
    SetTimer(hwnd, 1, MAX_LIFETIME_MS, NULL);

    while (GetMessageW(&msg, NULL, 0, 0) > 0) {
        TranslateMessage(&msg);
        DispatchMessageW(&msg);
    }
    if (g_log)
        fclose(g_log);
    DeleteObject(g_font);
    return 0;
}
