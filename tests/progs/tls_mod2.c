/*
 * Shared module for tls_isolation.c, loaded with dlopen() while threads
 * are already running: its general-dynamic TLS variables must show their
 * initialisers in every thread that existed before the module was loaded.
 */
#define GD_TLS __attribute__((tls_model("global-dynamic")))

__thread int mod2_var GD_TLS = 42;
__thread char mod2_str[16] GD_TLS = "mod2-init";

int tls_mod2_get(void);
void tls_mod2_set(int value);
const char *tls_mod2_str(void);

int tls_mod2_get(void)
{
	return mod2_var;
}

void tls_mod2_set(int value)
{
	mod2_var = value;
}

const char *tls_mod2_str(void)
{
	return mod2_str;
}
