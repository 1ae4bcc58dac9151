/*
 * Shared module for tls_isolation.c, loaded with dlopen() before any thread
 * is created: general-dynamic TLS variables (an initialised int and a
 * zero-initialised buffer) reached only through these accessors.
 */
#define GD_TLS __attribute__((tls_model("global-dynamic")))

__thread int mod_var GD_TLS = 7;
__thread char mod_buf[64] GD_TLS;

int tls_mod_get(void);
void tls_mod_set(int value);
char *tls_mod_buf(void);

int tls_mod_get(void)
{
	return mod_var;
}

void tls_mod_set(int value)
{
	mod_var = value;
}

char *tls_mod_buf(void)
{
	return mod_buf;
}
